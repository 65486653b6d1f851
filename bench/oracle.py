"""The search against the best single approach a user could run in the same time.

Per built-in dataset, each approach run as a user would, scored on the same test split once:
  tfidf_lr    TF-IDF (word 1-2 grams) + logistic regression, C by 5-fold grid search
  minilm_lr   frozen MiniLM embeddings (cold encode) + logistic regression
  mpnet_lr    frozen mpnet embeddings (cold encode) + logistic regression
  finetune    `textops finetune` (MiniLM) with --timeout B
  search      `textops search` (defaults) with --timeout B, in a fresh home (cold cache)
The three frozen baselines do not depend on B: they run once per dataset, and a cell counts
at budget B only when it finished within B (a user given B seconds could have run it). The
best such cell is the row's oracle; the search's gap to it is the figure (target: within 0.5
points in every row, above it in most).
Usage: python bench/oracle.py [--datasets sms_spam,trec,bbc_news] [--budgets 60,240,900]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
warnings.filterwarnings("ignore")
sys.path.insert(0, str(Path(__file__).parent))

from search import baseline_minilm, baseline_tfidf, textops_search  # noqa: E402


def finetune(dataset: str, budget: float) -> dict[str, Any]:
    """`textops finetune DATASET --timeout B` in a fresh home."""
    from textops.cli._finetune import _head_defaults
    from textops.data import builtin_source, ingest
    from textops.errors import TextopsError
    from textops.search import SearchConfig, run_search
    from textops.track import MlflowTracker

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        ingest([builtin_source(dataset)], dataset, home=home)
        cfg = SearchConfig(dataset=dataset, embedders=("minilm",), heads=("finetune",),
                           trials=1, timeout=budget, head_options=_head_defaults("finetune"),
                           study="oracle-finetune")  # fmt: skip
        start = time.perf_counter()
        try:
            r = run_search(cfg, home=home, tracker=MlflowTracker(home=home), show_progress=False)
        except TextopsError as exc:  # no epoch fitted the budget
            return {"macro_f1": None, "seconds": round(time.perf_counter() - start, 1),
                    "error": str(exc)[:160]}  # fmt: skip
        return {"macro_f1": round(r.test.macro_f1, 4),
                "seconds": round(time.perf_counter() - start, 1)}  # fmt: skip


def search(dataset: str, budget: float) -> dict[str, Any]:
    from textops.data import builtin_source, ingest

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        ingest([builtin_source(dataset)], dataset, home=home)
        return textops_search(home, dataset, timeout=budget, trials=1_000_000,
                              study="oracle")  # fmt: skip


def row(dataset: str, budget: float, frozen: dict[str, dict[str, Any]]) -> dict[str, Any]:
    cells = dict(frozen)
    cells["finetune"] = finetune(dataset, budget)
    cells["search"] = search(dataset, budget)
    fits = {k: c for k, c in cells.items() if k != "search" and c.get("macro_f1") is not None
            and c["seconds"] <= budget * 1.1}  # fmt: skip
    best = max(fits, key=lambda k: fits[k]["macro_f1"], default=None)
    gap = None if best is None else round(cells["search"]["macro_f1"] - fits[best]["macro_f1"], 4)
    return {"dataset": dataset, "budget_s": budget, "cells": cells, "oracle": best,
            "search_minus_oracle": gap}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--datasets", default="sms_spam,trec,bbc_news")
    ap.add_argument("--budgets", default="60,240,900")
    args = ap.parse_args()
    from textops.data import builtin_source, ingest

    rows = []
    for dataset in args.datasets.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            ds = ingest([builtin_source(dataset)], dataset, home=tmp)
            frozen = {"tfidf_lr": baseline_tfidf(ds), "minilm_lr": baseline_minilm(ds),
                      "mpnet_lr": baseline_minilm(ds, "mpnet")}  # fmt: skip
        print(f"{dataset}: {json.dumps(frozen)}", flush=True)
        for budget in (float(b) for b in args.budgets.split(",")):
            r = row(dataset, budget, frozen)
            rows.append(r)
            cells = ", ".join(
                f"{k} {c['macro_f1'] if c.get('macro_f1') is not None else '-'} "
                f"({c['seconds']:.0f}s)"
                for k, c in r["cells"].items()
            )
            print(f"  {dataset} @ {budget:.0f}s: {cells}; oracle {r['oracle']}, search - oracle "
                  f"{r['search_minus_oracle']}", flush=True)  # fmt: skip
    within = [r for r in rows if r["search_minus_oracle"] is not None]
    ok = sum(r["search_minus_oracle"] >= -0.005 for r in within)
    above = sum(r["search_minus_oracle"] > 0 for r in within)
    print(f"search within 0.5 points of the oracle in {ok} of {len(within)} rows, above it in "
          f"{above}")  # fmt: skip
    print(json.dumps({"bench": "oracle", "rows": rows, "within_half_point": ok,
                      "above": above, "rows_compared": len(within)}))  # fmt: skip


if __name__ == "__main__":
    main()
