"""Few labels: choosing by CV among many tuned heads vs among a few fixed ones, in one run.

Why the few-labels search is a fixed portfolio (``textops.search._portfolio.few_label_portfolio``)
and not a hyperparameter search: on a few dozen rows, the CV score of the best of many
configurations is mostly luck, and its test score falls behind a small fixed choice.

Per built-in dataset, per sample (8 and 64 texts per class, seeds 0-2, drawn from the train
split as bench/finetune.py draws them), on frozen sentence embeddings (minilm, e5, mpnet,
static; cached by textops):
  T (tuned, the baseline): every embedder x {logistic regression C 0.01-100, linear SVM
    C 0.01-10, k nearest neighbours k 1-10}, 52 configurations;
  F (fixed): every embedder x logistic regression at the few-labels C (4 configurations).
Each side picks its configuration with the best 3 x 5-fold repeated stratified CV macro-F1
on the sample (the search's few-labels mode), refits it on the whole sample and scores it
once on the dataset's full test split. Printed: each sample's picks, each side's mean test
macro-F1 and F - T in points.
Usage: python bench/selection.py [--datasets sms_spam,trec,movie_reviews] [--seeds 0,1,2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import warnings
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
warnings.filterwarnings("ignore")

EMBEDDERS = ("minilm", "e5", "mpnet", "static")


def _heads(few_c: float) -> tuple[dict[str, Callable[[], Any]], dict[str, Callable[[], Any]]]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import LinearSVC

    def lr(c: float) -> Callable[[], Any]:
        return lambda: LogisticRegression(C=c, max_iter=3000)

    tuned: dict[str, Callable[[], Any]] = {f"logreg C={c}": lr(c) for c in (0.01, 0.1, 1, 10, 100)}
    for c in (0.01, 0.1, 1, 10):
        tuned[f"linear_svm C={c}"] = lambda c=c: LinearSVC(C=c)
    for k in (1, 3, 5, 10):
        tuned[f"knn k={k}"] = lambda k=k: KNeighborsClassifier(k, metric="cosine")
    return tuned, {f"logreg C={few_c}": lr(few_c)}


def _sample(texts: list[str], labels: list[str], k: int, seed: int) -> list[tuple[str, str]]:
    by: dict[str, list[str]] = defaultdict(list)
    for t, y in zip(texts, labels, strict=True):
        by[y].append(t)
    rng = random.Random(seed)
    return [(t, y) for y in sorted(by) for t in rng.sample(by[y], min(k, len(by[y])))]


def _pick(
    vectors: dict[str, dict[str, np.ndarray]],
    heads: dict[str, Callable[[], Any]],
    rows: list[tuple[str, str]],
    test: tuple[list[str], list[str]],
) -> dict[str, Any]:
    """The configuration with the best repeated-CV macro-F1 on ``rows``, scored on test."""
    from sklearn.metrics import f1_score
    from sklearn.model_selection import RepeatedStratifiedKFold

    texts = [t for t, _ in rows]
    y = np.array([lab for _, lab in rows], dtype=object)
    folds = list(RepeatedStratifiedKFold(n_splits=5, n_repeats=3, random_state=0).split(texts, y))
    best: tuple[float, str, str] | None = None
    for emb in EMBEDDERS:
        X = np.stack([vectors[emb][t] for t in texts])
        for name, make in heads.items():
            scores = [
                f1_score(y[va], make().fit(X[tr], y[tr]).predict(X[va]), average="macro")
                for tr, va in folds
            ]
            cv = float(np.mean(scores))
            if best is None or cv > best[0]:
                best = (cv, emb, name)
    assert best is not None
    cv, emb, name = best
    model = heads[name]().fit(np.stack([vectors[emb][t] for t in texts]), y)
    pred = model.predict(np.stack([vectors[emb][t] for t in test[0]]))
    test_f1 = float(f1_score(test[1], pred, average="macro"))
    return {"pick": f"{emb} + {name}", "cv": round(cv, 4), "test": round(test_f1, 4)}


def dataset(key: str, seeds: list[int], few_c: float) -> list[dict[str, Any]]:
    from textops.data import builtin_source, ingest
    from textops.embed import EmbeddingCache, encode_texts, make_embedder

    tuned, fixed = _heads(few_c)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        ds = ingest([builtin_source(key)], key, home=home)
        test = (ds.texts("test"), ds.labels("test"))
        samples = {
            (k, s): _sample(ds.texts("train"), ds.labels("train"), k, s)
            for k in (8, 64)
            for s in seeds
        }
        texts = sorted(set(test[0]) | {t for rows in samples.values() for t, _ in rows})
        cache = EmbeddingCache(home=home)
        vectors = {}
        for emb in EMBEDDERS:
            vec = encode_texts(make_embedder(emb), texts, cache, show_progress=False).vectors
            vectors[emb] = dict(zip(texts, np.asarray(vec, dtype=np.float64), strict=True))
        for (k, s), rows in samples.items():
            t, f = _pick(vectors, tuned, rows, test), _pick(vectors, fixed, rows, test)
            print(f"  {key} {k}/class seed {s}: tuned {t} | fixed {f}", flush=True)
            out.append({"dataset": key, "per_class": k, "seed": s, "tuned": t, "fixed": f})
    return out


def main() -> None:
    from textops.model import HEADS

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--datasets", default="sms_spam,trec,movie_reviews")
    ap.add_argument("--seeds", default="0,1,2")
    args = ap.parse_args()
    few_c = float(HEADS["logreg"].few_labels["C"])
    rows: list[dict[str, Any]] = []
    for key in args.datasets.split(","):
        rows += dataset(key, [int(s) for s in args.seeds.split(",")], few_c)
    summary: dict[str, Any] = {}
    for k in (8, 64, None):
        part = [r for r in rows if k is None or r["per_class"] == k]
        t = float(np.mean([r["tuned"]["test"] for r in part]))
        f = float(np.mean([r["fixed"]["test"] for r in part]))
        name = "all" if k is None else f"{k}_per_class"
        summary[name] = {
            "samples": len(part),
            "tuned_mean_test_macro_f1": round(t, 4),
            "fixed_mean_test_macro_f1": round(f, 4),
            "fixed_minus_tuned_points": round(100 * (f - t), 2),
            "fixed_wins": sum(r["fixed"]["test"] > r["tuned"]["test"] for r in part),
            "tuned_wins": sum(r["tuned"]["test"] > r["fixed"]["test"] for r in part),
        }
        print(f"{name}: {summary[name]}", flush=True)
    print(json.dumps({"samples": rows, "summary": summary}))


if __name__ == "__main__":
    main()
