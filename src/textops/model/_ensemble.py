"""An ensemble of classifiers on different embedders, served as one :class:`TextClassifier`:
a :class:`StackedEmbedder` gives every member's features side by side, and scikit-learn's
voting (soft: the mean of the members' probabilities) or stacking classifier (a logistic
regression on the members' out-of-fold probabilities) holds the members' heads, each reading
its own columns. Both are plain scikit-learn types, saved with skops like any head."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from textops._types import Features, Target
from textops.embed import EmbeddingCache, StackedEmbedder, make_embedder
from textops.model._classifier import TextClassifier, stored_vectors
from textops.model._heads import build_head
from textops.model._train import (
    ClassifierRecipe,
    LabelledRows,
    Trained,
    evaluate_rows,
    training_reference,
)

__all__ = ["ENSEMBLE_METHODS", "ColumnSlice", "EnsembleMethod", "ensemble_head", "train_ensemble"]

EnsembleMethod = Literal["soft_vote", "stack"]
ENSEMBLE_METHODS: tuple[EnsembleMethod, ...] = ("soft_vote", "stack")


class ColumnSlice(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Columns ``[start, stop)`` of a dense or CSR matrix: one member's features. Two integers
    saved, where scikit-learn's ``ColumnTransformer`` keeps every column index of a TF-IDF
    vocabulary as a Python list (a million JSON objects in a skops file)."""

    def __init__(self, start: int = 0, stop: int = 0) -> None:
        self.start = start
        self.stop = stop

    def fit(self, X: Features, y: Target | None = None) -> ColumnSlice:
        return self

    def transform(self, X: Features) -> Features:
        return X[:, self.start : self.stop]


def ensemble_head(
    members: Sequence[ClassifierRecipe],
    widths: Sequence[int],
    method: EnsembleMethod,
    *,
    scales: Sequence[bool],
    folds: int = 5,
    seed: int = 0,
) -> BaseEstimator:
    """An unfitted voting or stacking classifier whose member ``i`` is ``members[i]``'s head
    on columns ``[sum(widths[:i]), sum(widths[:i+1]))`` of the stacked features."""
    from sklearn.ensemble import StackingClassifier, VotingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    edges = np.concatenate([[0], np.cumsum(widths)]).astype(np.int64)
    estimators = []
    for i, (recipe, scale) in enumerate(zip(members, scales, strict=True)):
        columns = ColumnSlice(int(edges[i]), int(edges[i + 1]))
        head = build_head(recipe.head, dict(recipe.params), scale=scale, seed=seed)
        estimators.append((f"m{i}", Pipeline([("columns", columns), ("head", head)])))
    if method == "soft_vote":
        return VotingClassifier(estimators, voting="soft")
    final = LogisticRegression(max_iter=1000, random_state=seed)
    return StackingClassifier(estimators, final_estimator=final, cv=folds,
                              stack_method="predict_proba")  # fmt: skip


def train_ensemble(
    members: Sequence[ClassifierRecipe],
    method: EnsembleMethod,
    rows: LabelledRows,
    *,
    cache: EmbeddingCache | None,
    test: LabelledRows | None = None,
    folds: int = 5,
) -> Trained:
    """The ensemble of ``members`` (embedder + head + params each; the first's preparation
    and seed are the ensemble's) trained on ``rows``, scored on ``test`` when given."""
    first = members[0]
    stacked = StackedEmbedder(members=[make_embedder(m.embedder) for m in members])
    stacked.fit(list(rows.texts))
    blocks = [stored_vectors(m, rows.texts, cache, rows.keys) for m in stacked.members_]
    head = ensemble_head(members, [b.shape[1] for b in blocks], method,
                         scales=[m.needs_scaling for m in stacked.members_], folds=folds,
                         seed=first.seed)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        head.fit(StackedEmbedder.stack(blocks), np.asarray(rows.labels, dtype=object))
    clf = TextClassifier(
        embedder_key="stacked",
        embedder=stacked,
        head_key=f"ensemble_{method}",
        head=head,
        head_params={"members": ",".join(f"{m.embedder}+{m.head}" for m in members)},
        normalization=first.normalization,
        cache=cache,
        decoding=first.decoding,
    )
    evaluation = evaluate_rows(clf, test) if test is not None and len(test) else None
    predicted = evaluation.predicted if evaluation is not None else []
    return Trained(clf, evaluation, training_reference(clf, rows, test, predicted, first.seed))
