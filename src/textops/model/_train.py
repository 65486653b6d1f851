"""Train a classifier from a recipe, score it once on held-out rows and build its drift
reference: one call (:func:`train_classifier`), so a caller hands the model layer its data
and gets a finished model back, instead of reaching into embedders, heads and metrics itself.

* A head on embeddings: the embedder (fitted on the rows when it learns, as TF-IDF does)
  encodes the rows through the cache, then the head is fitted on them.
* A trained head (a fine-tune): trained on the rows' texts for the epochs its params say, and
  deployed as its trained encoder + linear head.
* The test rows, when given, are scored once (with the uncached model's latency per text);
  the drift reference keeps statistics of the training rows, the model's label mix on test
  and a sample of training embeddings (dense embedders only).
"""

from __future__ import annotations

import copy
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from textops._cpus import free_cpus
from textops._types import ParamValue
from textops.data import NormalizationOptions, TextDecoding
from textops.embed import EmbeddingCache, make_embedder
from textops.model._classifier import TextClassifier, stored_vectors
from textops.model._evaluation import Scores, evaluate
from textops.model._heads import HEADS, build_head
from textops.model._reference import TrainingReference, build_reference, reference_rows
from textops.model._trained_head import Exported

__all__ = [
    "ClassifierRecipe",
    "Evaluation",
    "LabelledRows",
    "Trained",
    "deploy_trained",
    "evaluate_rows",
    "train_classifier",
    "training_reference",
]


@dataclass(frozen=True)
class LabelledRows:
    """Texts as stored (repaired and normalised), their labels, and their cache keys (the
    rows' ids; None: the cache keys them by content)."""

    texts: Sequence[str]
    labels: Sequence[str]
    keys: Sequence[bytes] | None = None

    def __len__(self) -> int:
        return len(self.texts)


@dataclass(frozen=True)
class ClassifierRecipe:
    """What to train: an embedder and a head from the tables, the head's params, how the
    training texts were decoded and normalised (a served text is prepared the same way)."""

    embedder: str
    head: str
    params: Mapping[str, ParamValue]
    normalization: NormalizationOptions
    decoding: TextDecoding | None = None
    seed: int = 0
    device: str = "auto"


@dataclass(frozen=True)
class Evaluation:
    """A classifier scored on held-out rows: its scores and probabilities (columns: its
    labels), and the label it predicts for each row."""

    scores: Scores
    proba: np.ndarray
    predicted: list[str]


@dataclass(frozen=True)
class Trained:
    classifier: TextClassifier
    #: the test rows' evaluation (None: no test rows were given)
    test: Evaluation | None
    reference: TrainingReference


def train_classifier(
    recipe: ClassifierRecipe,
    rows: LabelledRows,
    *,
    cache: EmbeddingCache | None,
    test: LabelledRows | None = None,
    extra: LabelledRows | None = None,
) -> Trained:
    """``recipe`` trained on ``rows`` (and ``extra`` rows a data recipe made from them, which
    are encoded but not cached by key), scored on ``test`` when given."""
    if HEADS[recipe.head].text_input:
        clf = _train_encoder(recipe, rows, cache)
    else:
        clf = _fit_head(recipe, rows, cache, extra)
    evaluation = evaluate_rows(clf, test) if test is not None and len(test) else None
    predicted = evaluation.predicted if evaluation is not None else []
    reference = training_reference(clf, rows, test, predicted, recipe.seed)
    return Trained(clf, evaluation, reference)


def _fit_head(
    recipe: ClassifierRecipe,
    rows: LabelledRows,
    cache: EmbeddingCache | None,
    extra: LabelledRows | None,
) -> TextClassifier:
    emb = make_embedder(recipe.embedder)
    if emb.requires_fit:
        emb.fit(list(rows.texts))
    X = stored_vectors(emb, rows.texts, cache, rows.keys)
    labels = list(rows.labels)
    if extra is not None and len(extra):
        Xx = stored_vectors(emb, extra.texts, cache)
        X, labels = np.vstack([X, Xx]), labels + list(extra.labels)
    head = build_head(recipe.head, dict(recipe.params), scale=emb.needs_scaling, seed=recipe.seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        head.fit(X, np.asarray(labels, dtype=object))
    return TextClassifier(
        embedder_key=recipe.embedder,
        embedder=emb,
        head_key=recipe.head,
        head=head,
        head_params=dict(recipe.params),
        normalization=recipe.normalization,
        cache=cache,
        decoding=recipe.decoding,
    )


def deploy_trained(
    recipe: ClassifierRecipe,
    exported: Exported,
    rows: LabelledRows,
    *,
    cache: EmbeddingCache | None,
    test: LabelledRows | None = None,
) -> Trained:
    """A trained head that is already trained (``exported``, on ``rows``), deployed as
    :func:`train_classifier` deploys one it trains: scored on ``test``, with its reference."""
    clf = _deployed(recipe, exported, cache)
    evaluation = evaluate_rows(clf, test) if test is not None and len(test) else None
    predicted = evaluation.predicted if evaluation is not None else []
    reference = training_reference(clf, rows, test, predicted, recipe.seed)
    return Trained(clf, evaluation, reference)


def _train_encoder(
    recipe: ClassifierRecipe, rows: LabelledRows, cache: EmbeddingCache | None
) -> TextClassifier:
    """A trained head (a fine-tune), deployed as its trained encoder + linear head."""
    est = build_head(recipe.head, dict(recipe.params), seed=recipe.seed)
    est.set_params(device=recipe.device, threads=free_cpus())
    exported = est.fit(list(rows.texts), list(rows.labels)).export()
    est.release()
    return _deployed(recipe, exported, cache)


def _deployed(
    recipe: ClassifierRecipe, exported: Exported, cache: EmbeddingCache | None
) -> TextClassifier:
    return TextClassifier(
        embedder_key=exported.embedder_key,
        embedder=exported.embedder,
        head_key=recipe.head,
        head=exported.head,
        head_params=dict(recipe.params),
        normalization=recipe.normalization,
        cache=cache,
        decoding=recipe.decoding,
    )


def evaluate_rows(clf: TextClassifier, test: LabelledRows) -> Evaluation:
    """The test rows (stored texts: encoded as they are, through the cache by their keys)."""
    proba = np.asarray(clf.head.predict_proba(clf.vectors(test.texts, test.keys)))
    labels = clf.labels
    scores = evaluate(test.labels, proba, labels)
    scores = replace(scores, latency_ms_per_text=_latency_ms(clf, list(test.texts)))
    return Evaluation(scores, proba, [labels[i] for i in proba.argmax(axis=1)])


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


def training_reference(
    clf: TextClassifier,
    rows: LabelledRows,
    test: LabelledRows | None,
    predicted: list[str],
    seed: int,
) -> TrainingReference:
    """What monitoring compares served traffic with (see ``_reference``)."""
    vectors = None
    if clf.embedder.cacheable:  # dense: the sample the reference keeps, through the cache
        keep = reference_rows(len(rows), seed)
        keys = None if rows.keys is None else [rows.keys[i] for i in keep]
        vectors = clf.vectors([rows.texts[i] for i in keep], keys)
    return build_reference(
        train_texts=list(rows.texts),
        train_vectors=vectors,
        test_texts=list(test.texts) if test is not None else [],
        test_pred_labels=predicted,
        labels=clf.labels,
        seed=seed,
    )
