"""The label audit against cleanlab on the same probabilities, and what quarantining buys.

Per built-in dataset (fresh home): 10 % of the train split's labels flipped to another label
(seeded), ingested as a new dataset (rows keep their splits: a split is a hash of the text).
  F. Finding the flipped rows, over the train split: the audit (``textops data audit``'s
     defaults) against cleanlab's ``find_label_issues`` with its defaults on the same
     out-of-fold probabilities: precision, recall, F1 and the ratio of the F1s. With
     ``--filters``, every cleanlab filter and embedder for the out-of-fold probabilities.
  R. Test macro-F1 of a search (``--search-timeout`` s, defaults) on the clean set, the noisy
     set, and the noisy set after ``--quarantine``: the share of what the noise cost that the
     quarantine recovered (the test split is never flipped, nor audited).
Usage: python bench/audit.py [--datasets sms_spam,trec] [--search-timeout 60] [--filters]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
warnings.filterwarnings("ignore")

DATASETS = ["sms_spam", "trec", "bbc_news", "movie_reviews", "chinese_reviews"]


def noisy_copy(ds: Any, home: Path, share: float, seed: int) -> tuple[Any, set[str]]:
    """``ds`` with ``share`` of its train labels flipped; the flipped texts."""
    from textops.data import MemorySource, ingest

    table = ds.table(["text", "label", "split"]).to_pylist()
    labels = sorted({r["label"] for r in table})
    rng = random.Random(seed)
    train = [i for i, r in enumerate(table) if r["split"] == "train"]
    flipped = set(rng.sample(train, round(share * len(train))))
    rows = []
    for i, r in enumerate(table):
        label = r["label"]
        if i in flipped:
            label = rng.choice([x for x in labels if x != label])
        rows.append((r["text"], label))
    noisy = ingest([MemorySource("noisy", rows)], f"{ds.name}_noisy", home=home,
                   show_progress=False)  # fmt: skip
    return noisy, {table[i]["text"] for i in flipped}


def scores(found: set[str], truth: set[str]) -> dict[str, float]:
    tp = len(found & truth)
    p = tp / len(found) if found else 0.0
    r = tp / len(truth) if truth else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f1, 3),
            "flagged": len(found)}  # fmt: skip


def finding(noisy: Any, truth: set[str], home: Path, sweep: bool) -> dict[str, Any]:
    import numpy as np
    from cleanlab.filter import find_label_issues

    from textops.review import AUDIT_FILTERS, audit_dataset, default_embedder

    out: dict[str, Any] = {}
    embedders = [default_embedder(noisy.language)] + (["tfidf", "minilm"] if sweep else [])
    for emb in dict.fromkeys(embedders):
        t = time.perf_counter()
        audit = audit_dataset(noisy, split="train", embedder=emb, home=home, show_progress=False)
        took = time.perf_counter() - t
        texts = noisy.texts("train")
        ours = {s.text for s in audit.report.label_suspects}
        # cleanlab alone on the same out-of-fold probabilities, its defaults
        labels = noisy.labels("train")
        cls = {c: i for i, c in enumerate(audit.report.classes)}
        y = np.array([cls[x] for x in labels])
        P = audit.probabilities
        theirs = {texts[i] for i in np.flatnonzero(find_label_issues(y, P))}
        row = {"audit": scores(ours, truth), "cleanlab": scores(theirs, truth),
               "seconds": round(took, 1), "signals": audit.report.by_signal}  # fmt: skip
        row["f1_ratio"] = round(row["audit"]["f1"] / max(row["cleanlab"]["f1"], 1e-9), 3)
        if sweep:
            row["filters"] = {
                f: scores({texts[i] for i in np.flatnonzero(find_label_issues(y, P, filter_by=f))},
                          truth)["f1"]
                for f in AUDIT_FILTERS
            }  # fmt: skip
        out[emb] = row
    return out


def search_f1(home: Path, dataset: str, timeout: float) -> float:
    from textops.data import DatasetStore
    from textops.search import SearchConfig, run_search
    from textops.track import MlflowTracker

    version = DatasetStore(home).get(dataset).version  # a study per dataset version
    cfg = SearchConfig(dataset=dataset, timeout=timeout, study=f"audit-{dataset}-{version}")
    report = run_search(cfg, home=home, tracker=MlflowTracker(home=home), show_progress=False)
    return round(float(report.test.macro_f1), 4)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--search-timeout", type=float, default=60.0)
    ap.add_argument("--no-search", action="store_true", help="finding only (part F)")
    ap.add_argument("--filters", action="store_true", help="every cleanlab filter and embedder")
    ap.add_argument("--noise", type=float, default=0.10)
    args = ap.parse_args()
    from textops.data import builtin_source, ingest
    from textops.review import audit_dataset, quarantine_suspects

    results: dict[str, Any] = {}
    for name in args.datasets.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            clean = ingest([builtin_source(name)], name, home=home, show_progress=False)
            noisy, truth = noisy_copy(clean, home, args.noise, seed=0)
            res: dict[str, Any] = {"train_rows": len(noisy.texts("train")), "flipped": len(truth)}
            res["finding"] = finding(noisy, truth, home, args.filters)
            if not args.no_search:
                f_clean = search_f1(home, clean.name, args.search_timeout)
                f_noisy = search_f1(home, noisy.name, args.search_timeout)
                audit = audit_dataset(noisy, split="train", home=home, show_progress=False)
                cleaned = quarantine_suspects(audit, home=home)
                f_fixed = search_f1(home, cleaned.name, args.search_timeout)
                cost = f_clean - f_noisy
                res["recovery"] = {
                    "clean": f_clean, "noisy": f_noisy, "quarantined": f_fixed,
                    "moved": len(audit.report.label_suspects),
                    "share_recovered": round((f_fixed - f_noisy) / cost, 3) if cost > 0 else None,
                }  # fmt: skip
            results[name] = res
            print(json.dumps({name: res}), flush=True)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
