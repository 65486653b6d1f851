"""Out-of-fold probabilities: every row scored by a head that never saw it, the input
confident learning needs (a head scoring its own training rows would agree with their labels,
wrong ones included).

The features come through the embedding cache (a dataset the search already embedded costs
nothing to audit); the head is a logistic regression, or a fresh copy of a registered model's
own head when the audit is given one (its embedder, its head, refitted per fold).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from textops.embed import EmbeddingCache
    from textops.model import TextClassifier

__all__ = ["OutOfFold", "default_embedder", "out_of_fold"]


@dataclass(frozen=True)
class OutOfFold:
    """Each row's out-of-fold class probabilities (columns ``classes``), the features they
    came from, and how."""

    probabilities: np.ndarray
    classes: list[str]
    #: the rows' features (dense array or sparse matrix): near-duplicates and outliers
    features: Any
    embedder: str
    head: str
    folds: int
    seconds: float


def default_embedder(language: str | None) -> str:
    """TF-IDF with MiniLM for English (words and meaning: the pair the search most often
    picks), TF-IDF alone for another language (MiniLM is an English model)."""
    return "tfidf_minilm" if language in (None, "en") else "tfidf"


def _folds(labels: Sequence[str], wanted: int) -> int:
    from collections import Counter

    smallest = min(Counter(labels).values())
    return max(2, min(wanted, smallest))


def out_of_fold(
    texts: Sequence[str],
    labels: Sequence[str],
    keys: Sequence[bytes] | None = None,
    *,
    embedder: str = "tfidf",
    model: TextClassifier | None = None,
    folds: int = 5,
    seed: int = 0,
    cache: EmbeddingCache | None = None,
    home: str | Path | None = None,
    show_progress: bool | None = None,
) -> OutOfFold:
    """Out-of-fold probabilities of ``labels`` given ``texts`` (already prepared, as a
    dataset stores them; ``keys`` their sha256, for the cache). With ``model``, its embedder
    and a fresh copy of its head; else ``embedder`` (a table key) and logistic regression."""
    import numpy as np
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from textops.embed import EmbeddingCache, encode_texts, make_embedder

    began = time.perf_counter()
    cache = cache if cache is not None else EmbeddingCache(home=home)
    if model is not None:
        X = model.vectors(list(texts), keys)
        head, head_name, emb_name = clone(model.head), model.head_key, model.embedder_key
    else:
        emb = make_embedder(embedder)
        if emb.requires_fit:  # TF-IDF's vocabulary has no labels in it: fitting on all is fair
            emb.fit(list(texts))
        X = encode_texts(
            emb, texts, cache, keys=keys, show_progress=show_progress, description="audit: embed"
        ).vectors
        head, head_name, emb_name = _logistic(), "logreg", embedder
    k = _folds(labels, folds)
    cv = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    y = np.asarray(labels)
    proba = cross_val_predict(head, X, y, cv=cv, method="predict_proba")
    classes = sorted(set(labels))
    return OutOfFold(
        probabilities=np.asarray(proba, dtype=np.float64),
        classes=[str(c) for c in classes],
        features=X,
        embedder=emb_name,
        head=head_name,
        folds=k,
        seconds=time.perf_counter() - began,
    )


def _logistic() -> Any:
    from sklearn.linear_model import LogisticRegression

    # balanced: a rare class's rows are not read as noise for being rare
    return LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced")
