"""Refit -> evaluate: the winner trained again on the rows it will deploy with, and scored once.

* A head on embeddings is refitted on train + validation (a budget-sampled embedder: on the
  train rows it was encoded for); a trained head (a fine-tune) is trained again on train +
  validation for the epochs that won, and deployed as its trained encoder + linear head.
* With a test split the winner is scored on it (the only time any model of the search touches
  it); with few labels, every row pooled, the estimate is the winner's repeated-CV score with
  its corrected interval (:func:`cv_estimate`).
"""

from __future__ import annotations

import copy
import time
import warnings
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from textops.data import Dataset, NormalizationOptions
from textops.embed import EmbeddingCache, encode_texts, free_cpus, make_embedder
from textops.model import HEADS, TextClassifier, build_head
from textops.search._config import SearchConfig
from textops.search._data import SearchData, Split
from textops.search._plan import EmbedderPlan
from textops.search._recipes import Recipe, augment_pool, synthetic_pool
from textops.search._report import Winner
from textops.search._scores import CVEstimate, cv_estimate
from textops.track import Scores, evaluate

if TYPE_CHECKING:
    from optuna.trial import FrozenTrial

__all__ = ["Evaluated", "evaluate_on_test", "evaluate_winner", "refit", "refit_rows"]


def refit_rows(winner: Winner, data: SearchData, plans: list[EmbedderPlan]) -> Split:
    """What the winner is refitted on: train + validation, or the train rows a budget-sampled
    embedder was encoded for."""
    sample = next((p.sample for p in plans if p.key == winner.embedder), None)
    if sample is None or HEADS[winner.head].text_input:
        return data.refit
    train = data.train
    return Split(
        [train.texts[i] for i in sample],
        [train.labels[i] for i in sample],
        [train.keys[i] for i in sample],
    )


def refit(
    winner: Winner,
    data: SearchData,
    dataset: Dataset,
    cache: EmbeddingCache,
    seed: int,
    device: str = "auto",
    rows: Split | None = None,
) -> TextClassifier:
    """The winner's embedder and head fitted on train + validation (``rows``: a
    budget-sampled embedder's own rows)."""
    rows = rows or data.refit
    normalization = NormalizationOptions(**dataset.manifest["normalization"])
    if HEADS[winner.head].text_input:
        clf = _retrain(winner, rows.texts, rows.labels, normalization, cache, seed, device)
        clf.decoding = dataset.decoding
        return clf
    emb = make_embedder(winner.embedder)
    if emb.requires_fit:
        emb.fit(rows.texts)
    X = encode_texts(emb, rows.texts, cache, keys=rows.keys, show_progress=False).vectors
    labels = list(rows.labels)
    extra = _recipe_rows(winner, rows, data, seed)
    if extra is not None:  # the winning recipe's rows, made from the refit rows
        Xx = encode_texts(emb, extra[0], cache, show_progress=False).vectors
        X, labels = np.vstack([X, Xx]), labels + extra[1]
    head = build_head(winner.head, winner.params, scale=emb.needs_scaling, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        head.fit(X, np.asarray(labels, dtype=object))
    return TextClassifier(
        embedder_key=winner.embedder,
        embedder=emb,
        head_key=winner.head,
        head=head,
        head_params=winner.params,
        normalization=normalization,
        cache=cache,
        decoding=dataset.decoding,
    )


def _recipe_rows(
    winner: Winner, rows: Split, data: SearchData, seed: int
) -> tuple[list[str], list[str]] | None:
    """The winner's recipe applied to the rows it is refitted on (``mix`` of their count)."""
    recipe = Recipe.of(winner.recipe)
    if not recipe.adds_rows:
        return None
    if recipe.name == "augment":
        assert recipe.strength is not None
        pool = augment_pool(rows.texts, rows.labels, recipe.strength, seed)
    else:
        assert data.synthetic is not None
        pool = synthetic_pool(*data.synthetic, known=set(rows.labels))
    idx = pool.take(np.arange(len(rows)), recipe.mix, seed)
    return [pool.texts[i] for i in idx], [pool.labels[i] for i in idx]


def _retrain(
    winner: Winner,
    texts: list[str],
    labels: list[str],
    normalization: NormalizationOptions,
    cache: EmbeddingCache,
    seed: int,
    device: str,
) -> TextClassifier:
    """A trained head (a fine-tune) trained again on the refit rows for the epochs that won
    on validation, and deployed as its trained encoder + linear head."""
    est = build_head(winner.head, winner.params, seed=seed)
    est.set_params(device=device, threads=free_cpus())
    exported = est.fit(texts, labels).export()
    est.release()
    return TextClassifier(
        embedder_key=exported.embedder_key,
        embedder=exported.embedder,
        head_key=winner.head,
        head=exported.head,
        head_params=winner.params,
        normalization=normalization,
        cache=cache,
    )


def _latency_ms(clf: TextClassifier, texts: list[str]) -> float:
    """Milliseconds per text, one text at a time, without the cache (as a service sees it)."""
    uncached = copy.copy(clf)
    uncached.cache = None
    sample = texts[:16]
    uncached.predict_proba(sample[:1])
    start = time.perf_counter()
    for t in sample:
        uncached.predict_proba([t])
    return 1000 * (time.perf_counter() - start) / max(len(sample), 1)


@dataclass(frozen=True)
class Evaluated:
    #: the test split's scores (with the uncached model's latency), or the CV estimate
    metrics: Scores | CVEstimate
    proba: np.ndarray


def evaluate_on_test(clf: TextClassifier, data: SearchData, cache: EmbeddingCache) -> Evaluated:
    """The test split, touched by the winner (and by the TF-IDF + LR floor, see _floor)."""
    te = data.test
    X = encode_texts(clf.embedder, te.texts, cache, keys=te.keys, show_progress=False).vectors
    proba = np.asarray(clf.head.predict_proba(X))
    metrics = evaluate(te.labels, proba, clf.labels)
    latency = _latency_ms(clf, te.texts or data.train.texts)
    return Evaluated(replace(metrics, latency_ms_per_text=latency), proba)


def evaluate_winner(
    clf: TextClassifier,
    best: FrozenTrial,
    data: SearchData,
    cache: EmbeddingCache,
    config: SearchConfig,
) -> Evaluated:
    """The winner on the test split, or (few labels, every row pooled) its repeated-CV
    estimate: then there are no test probabilities."""
    if len(data.test):
        return evaluate_on_test(clf, data, cache)
    folds = data.cv_folds(config.cv_folds)
    scores = best.user_attrs.get("cv_scores", [])
    cv = cv_estimate(scores, len(data.train), folds, config.cv_repeats)
    return Evaluated(cv, np.zeros((0, len(clf.labels))))
