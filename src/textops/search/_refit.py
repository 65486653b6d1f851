"""Refit -> evaluate: the winner trained again on the rows it will deploy with, and scored once.

* A head on embeddings is refitted on train + validation (a budget-sampled embedder: on the
  train rows it was encoded for); a trained head (a fine-tune) is trained again on train +
  validation for the epochs that won, and deployed as its trained encoder + linear head.
* With a test split the winner is scored on it (the only time any model of the search touches
  it); with few labels, every row pooled, the estimate is the winner's repeated-CV score with
  its corrected interval (:func:`cv_estimate`).
* An ensemble CV chose (``_ensemble``) is trained the same way, as one model.
* A winning fine-tune whose refit does not fit the time left is deployed as its trial trained
  it (on the train split, its best epoch's weights: ``KeptModel``): a fine-tune planned into
  a budget then costs one training, not two.

The training and scoring are the model layer's (``textops.model.train_classifier`` and
``train_ensemble``); this module decides which rows and recipe they get.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from textops.data import Dataset, NormalizationOptions
from textops.embed import EmbeddingCache
from textops.model import (
    HEADS,
    ClassifierRecipe,
    Exported,
    LabelledRows,
    Scores,
    Trained,
    deploy_trained,
    train_classifier,
    train_ensemble,
)
from textops.search._config import SearchConfig
from textops.search._data import SearchData, Split
from textops.search._ensemble import EnsembleChoice
from textops.search._plan import EmbedderPlan
from textops.search._recipes import Recipe, augment_pool, synthetic_pool
from textops.search._report import Winner
from textops.search._scores import CVEstimate, cv_estimate

if TYPE_CHECKING:
    from optuna.trial import FrozenTrial

__all__ = ["deploy_kept", "refit", "refit_ensemble", "refit_rows", "test_estimate"]


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


def _recipe_of(winner: Winner, dataset: Dataset, config: SearchConfig) -> ClassifierRecipe:
    return ClassifierRecipe(
        embedder=winner.embedder,
        head=winner.head,
        params=winner.params,
        normalization=NormalizationOptions(**dataset.manifest["normalization"]),
        decoding=dataset.decoding,
        seed=config.seed,
        device=config.device,
    )


def _test_rows(data: SearchData) -> LabelledRows | None:
    test = data.test
    return LabelledRows(test.texts, test.labels, test.keys) if len(test) else None


def refit_ensemble(
    choice: EnsembleChoice,
    members: list[Winner],
    data: SearchData,
    dataset: Dataset,
    cache: EmbeddingCache,
    config: SearchConfig,
) -> Trained:
    """The ensemble CV chose, its members trained on train + validation, scored on test."""
    rows = data.refit
    return train_ensemble(
        [_recipe_of(m, dataset, config) for m in members],
        choice.method,
        LabelledRows(rows.texts, rows.labels, rows.keys),
        cache=cache,
        test=_test_rows(data),
        folds=data.cv_folds(config.cv_folds),
    )


def refit(
    winner: Winner,
    data: SearchData,
    dataset: Dataset,
    cache: EmbeddingCache,
    config: SearchConfig,
    rows: Split | None = None,
) -> Trained:
    """The winner's embedder and head trained on train + validation (``rows``: a
    budget-sampled embedder's own rows), scored once on the test split when there is one."""
    rows = rows or data.refit
    recipe = _recipe_of(winner, dataset, config)
    extra = None if HEADS[winner.head].text_input else _recipe_rows(winner, rows, data, config.seed)
    return train_classifier(
        recipe,
        LabelledRows(rows.texts, rows.labels, rows.keys),
        cache=cache,
        test=_test_rows(data),
        extra=extra,
    )


def deploy_kept(
    winner: Winner,
    exported: Exported,
    data: SearchData,
    dataset: Dataset,
    cache: EmbeddingCache,
    config: SearchConfig,
) -> Trained:
    """The winning trained trial's own model (trained on the train split), scored once on
    the test split, without training it again."""
    train = data.train
    return deploy_trained(
        _recipe_of(winner, dataset, config),
        exported,
        LabelledRows(train.texts, train.labels, train.keys),
        cache=cache,
        test=_test_rows(data),
    )


def _recipe_rows(winner: Winner, rows: Split, data: SearchData, seed: int) -> LabelledRows | None:
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
    return LabelledRows([pool.texts[i] for i in idx], [pool.labels[i] for i in idx])


def test_estimate(
    trained: Trained, best: FrozenTrial, data: SearchData, config: SearchConfig
) -> Scores | CVEstimate:
    """The winner's test scores, or (few labels, every row pooled: no test split) its
    repeated-CV estimate with its corrected interval."""
    if trained.test is not None:
        return trained.test.scores
    folds = data.cv_folds(config.cv_folds)
    scores = best.user_attrs.get("cv_scores", [])
    return cv_estimate(scores, len(data.train), folds, config.cv_repeats)
