"""Exact attributions for a linear head on word TF-IDF: each feature's coefficient times its
value, shared among the words that make the n-gram. No sampling; the scores plus the
intercept are the head's decision value for the class (a feature whose n-gram no word of the
text forms after normalisation, rare, is left out).

Supported: :class:`~textops.embed.TfidfEmbedder` with the word analyzer, under logistic
regression, ridge or a linear SVM (temperature-scaled or not), standardised or not."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from textops.data import normalize_text
from textops.explain._attribution import Attribution
from textops.explain._occlusion import target_index
from textops.explain._words import split_words
from textops.model import TextClassifier

if TYPE_CHECKING:
    from sklearn.base import BaseEstimator

__all__ = ["LinearMap", "linear_attribution", "linear_map", "linear_supported"]


@dataclass(frozen=True)
class LinearMap:
    """A linear head as ``decision = W @ ((x - mean) / scale) + b``, one row per class (a
    binary head's single row is written as two, opposite, rows)."""

    W: np.ndarray
    b: np.ndarray
    mean: np.ndarray | None
    scale: np.ndarray | None

    def weights(self, c: int) -> np.ndarray:
        """Class ``c``'s weights on the raw features (standardisation folded in)."""
        row: np.ndarray = np.asarray(self.W[c])
        if self.scale is None:
            return row
        return row / np.where(self.scale == 0, 1.0, self.scale)


def linear_map(head: BaseEstimator) -> LinearMap | None:
    """The head as a :class:`LinearMap`, or None when it is not linear (a pipeline of one
    standardising step and a linear model, temperature-scaled or not, is)."""
    mean = scale = None
    if hasattr(head, "steps"):  # sklearn Pipeline: [StandardScaler, estimator]
        *pre, (_, head) = head.steps
        if len(pre) != 1 or not hasattr(pre[0][1], "scale_"):
            return None
        scaler = pre[0][1]
        mean = scaler.mean_ if getattr(scaler, "with_mean", False) else None
        scale = scaler.scale_ if getattr(scaler, "with_std", True) else None
    head = getattr(head, "estimator_", head)  # TemperatureScaledClassifier
    coef, intercept = getattr(head, "coef_", None), getattr(head, "intercept_", None)
    if coef is None or intercept is None:
        return None
    W = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    b = np.atleast_1d(np.asarray(intercept, dtype=np.float64))
    if W.shape[0] == 1:  # binary: one row, positive for classes_[1]
        W, b = np.vstack([-W, W]), np.concatenate([-b, b])
    return LinearMap(W, b, mean, scale)


def linear_supported(clf: TextClassifier) -> bool:
    vectorizer = getattr(clf.embedder, "vectorizer_", None)  # a fitted word TF-IDF
    return (
        vectorizer is not None
        and getattr(vectorizer, "analyzer", None) == "word"
        and linear_map(clf.head) is not None
    )


def _ngram_owners(
    vectorizer: Any, words: list[str], clf: TextClassifier
) -> dict[int, list[list[int]]]:
    """Feature index -> the word indices of each occurrence of that n-gram in the text."""
    pre, tok = vectorizer.build_preprocessor(), vectorizer.build_tokenizer()
    tokens: list[tuple[str, int]] = []
    for i, word in enumerate(words):
        tokens += [(t, i) for t in tok(pre(normalize_text(word, clf.normalization)))]
    lo, hi = vectorizer.ngram_range
    vocab = vectorizer.vocabulary_
    owners: dict[int, list[list[int]]] = defaultdict(list)
    for n in range(lo, hi + 1):
        for j in range(len(tokens) - n + 1):
            f = vocab.get(" ".join(t for t, _ in tokens[j : j + n]))
            if f is not None:
                owners[f].append([w for _, w in tokens[j : j + n]])
    return owners


def linear_attribution(clf: TextClassifier, text: str, label: str | None = None) -> Attribution:
    lin = linear_map(clf.head)
    if lin is None or not linear_supported(clf):
        from textops.errors import ConfigError

        raise ConfigError(
            'method linear needs a linear head on word TF-IDF; choose method "occlusion", '
            "which works on every model"
        )
    labels = clf.labels
    proba = clf.predict_proba([text])[0]
    c = target_index(labels, proba, label)
    weights = lin.weights(c)
    import scipy.sparse

    x = scipy.sparse.csr_matrix(clf.embed([text]))  # a linear head on TF-IDF: sparse
    spans = split_words(text)
    words = [text[s:e] for s, e in spans]
    owners = _ngram_owners(clf.embedder.vectorizer_, words, clf)
    scores = np.zeros(len(words))
    for f, value in zip(x.indices.tolist(), x.data.tolist(), strict=True):
        places = owners.get(f)
        if not places:
            continue
        share = weights[f] * value / sum(len(p) for p in places)
        for place in places:
            for w in place:
                scores[w] += share
    return Attribution.of(text, labels, proba, c, "linear", spans, scores)
