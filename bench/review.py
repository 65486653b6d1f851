"""How many labels the review queue needs to reach what 400 random labels reach.

A simulated loop on a built-in dataset's train split used as a stream of served predictions
(an oracle answers with the true label): a model (the embedder + logistic regression, trained
with textops' own training path) starts from ``--seed-labels`` random rows; each round it
predicts the unlabelled rest, asks for ``--batch`` labels, and is retrained on all labels so
far; every model is scored on the test split.
  random: the batch drawn at random; its accuracy after 400 labels is the target (the mean
          over ``--repeats`` seeds);
  queue:  the batch is the review queue (``textops review``'s build_queue: ``--strategies``,
          near-copies dropped; ``NAME/clusters`` or ``NAME/none`` to spread otherwise),
          ranked on the current model's probabilities;
  ratio:  labels the queue needed to reach the target / 400 (target <= 0.6x).
Usage: python bench/review.py [--datasets trec,bbc_news] [--embedder minilm] [--batch 20]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
warnings.filterwarnings("ignore")


def _train(embedder: str, texts: list[str], labels: list[str], test: Any, cache: Any) -> Any:
    from textops.data import NormalizationOptions
    from textops.model import ClassifierRecipe, LabelledRows, train_classifier

    recipe = ClassifierRecipe(embedder=embedder, head="logreg", params={},
                              normalization=NormalizationOptions())  # fmt: skip
    return train_classifier(recipe, LabelledRows(texts, labels), cache=cache, test=test)


def _records(clf: Any, texts: list[str], ids: list[int]) -> list[Any]:
    proba = clf.predict_proba([texts[i] for i in ids])
    labels = clf.labels
    return [
        {"prediction_id": str(i), "ts": float(i), "model_name": "bench", "model_version": "1",
         "text_sha256": "", "text": texts[i], "text_chars": len(texts[i]),
         "label": labels[int(p.argmax())], "probabilities": dict(zip(labels, p.tolist(), strict=True)),
         "latency_ms": None}
        for i, p in zip(ids, proba, strict=True)
    ]  # fmt: skip


def run_loop(ds: Any, embedder: str, strategy: str | None, budget: int, batch: int,
             seed_labels: int, seed: int, cache: Any) -> list[tuple[int, float]]:  # fmt: skip
    """(labels so far, test accuracy) after every round; ``strategy`` None: random."""
    from textops.model import LabelledRows
    from textops.review import ReviewConfig, build_queue

    texts, truth = ds.texts("train"), ds.labels("train")
    test = LabelledRows(ds.texts("test"), ds.labels("test"))
    rng = random.Random(seed)
    order = list(range(len(texts)))
    rng.shuffle(order)
    labelled = order[:seed_labels]
    # a seed with every label, as a team starts from (a stream's first labels are its own)
    for lab in sorted(set(truth)):
        if lab not in {truth[i] for i in labelled}:
            labelled.append(next(i for i in order if truth[i] == lab))
    curve = []
    while True:
        trained = _train(embedder, [texts[i] for i in labelled], [truth[i] for i in labelled],
                         test, cache)  # fmt: skip
        curve.append((len(labelled), float(trained.test.scores.accuracy)))
        if len(labelled) >= budget:
            return curve
        taken = set(labelled)
        rest = [i for i in order if i not in taken]
        if strategy is None:
            labelled += rest[:batch]
            continue
        name, _, spread = strategy.partition("/")  # "uncertainty/clusters": spread so
        cfg = ReviewConfig(uri="bench", n=batch, strategy=name, pool=len(rest),
                           spread=spread or "copies")  # fmt: skip
        queue = build_queue(_records(trained.classifier, texts, rest), trained.classifier, cfg,
                            name="bench", reference=trained.reference)  # fmt: skip
        labelled += [int(item.prediction_id) for item in queue.items]


def labels_to_reach(curve: list[tuple[int, float]], target: float) -> int | None:
    return next((n for n, acc in curve if acc >= target), None)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default="trec,bbc_news,sms_spam")
    ap.add_argument("--embedder", default="minilm")
    ap.add_argument("--strategies", default="uncertainty,uncertainty/clusters,novelty")
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--seed-labels", type=int, default=40)
    ap.add_argument("--random-labels", type=int, default=400)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    from textops.data import builtin_source, ingest
    from textops.embed import EmbeddingCache

    results: dict[str, Any] = {}
    for name in args.datasets.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            ds = ingest([builtin_source(name)], name, home=home, show_progress=False)
            cache = EmbeddingCache(home=home)
            t = time.perf_counter()
            randoms = [run_loop(ds, args.embedder, None, args.random_labels, args.batch,
                                args.seed_labels, s, cache) for s in range(args.repeats)]  # fmt: skip
            target = statistics.mean(c[-1][1] for c in randoms)
            res: dict[str, Any] = {"train_rows": len(ds.texts("train")),
                                   "random_accuracy_at_400": round(target, 4)}  # fmt: skip
            for strategy in args.strategies.split(","):
                needs = []
                for s in range(args.repeats):
                    curve = run_loop(ds, args.embedder, strategy, args.random_labels,
                                     args.batch, args.seed_labels, s, cache)  # fmt: skip
                    needs.append(labels_to_reach(curve, target))
                reached = [n for n in needs if n is not None]
                res[strategy] = {
                    "labels_needed": needs,
                    "ratio": round(statistics.mean(reached) / args.random_labels, 3)
                    if len(reached) == len(needs) else None,
                }  # fmt: skip
            res["seconds"] = round(time.perf_counter() - t, 1)
            results[name] = res
            print(json.dumps({name: res}), flush=True)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
