"""The ensemble candidate: after the trials, the best trial of each of up to three embedders
combined (soft vote, or a logistic regression stacked on their out-of-fold probabilities),
judged by the same cross-validation folds as every trial and kept only when it beats each of
its members there.

Each member's out-of-fold probabilities come from the fold features the trials used
(``FoldData``: cached embeddings, TF-IDF fitted per fold); the stacked model's own estimate is
cross-validated again over those probabilities on the same folds. Members are frozen heads on
embeddings of every train row (no fine-tunes, no budget-sampled embedders, no data recipes):
the ensemble is served as one model that encodes each text once per member.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from textops.embed import EMBEDDERS, EmbeddingCache
from textops.model import (
    ENSEMBLE_METHODS,
    HEADS,
    EnsembleMethod,
    build_head,
    macro_f1,
    standardizes,
)
from textops.search._config import SearchConfig
from textops.search._data import SearchData
from textops.search._folds import FoldData

if TYPE_CHECKING:
    from optuna import Study
    from optuna.trial import FrozenTrial

__all__ = ["MAX_MEMBERS", "MIN_GAIN", "EnsembleChoice", "choose_ensemble", "ensemble_members"]

log = logging.getLogger("textops.search")

#: members of an ensemble at most (each one more encode per served text)
MAX_MEMBERS = 3
#: CV macro-F1 points an ensemble must add over its best member to replace it: below that, the
#: simpler single model is kept (one fold's noise on a few hundred rows is about this much)
MIN_GAIN = 0.003


@dataclass(frozen=True)
class EnsembleChoice:
    """An ensemble judged by CV: its members (trial numbers, best first), how they are
    combined, its CV macro-F1 and each method's and member's on the same folds; ``chosen``:
    it replaced the winner."""

    trials: tuple[int, ...]
    method: EnsembleMethod
    cv_macro_f1: float
    methods_cv: dict[str, float]
    members_cv: tuple[float, ...]
    chosen: bool
    seconds: float


def ensemble_members(study: Study, sampled: Collection[str] = ()) -> list[FrozenTrial]:
    """The best complete trial of each embedder that can be a member (``sampled``: budget-
    sampled embedders, which cannot), best first."""
    best: dict[str, FrozenTrial] = {}
    for t in study.get_trials(deepcopy=False):
        if t.state.name != "COMPLETE" or not t.values or "cv_folds_run" in t.user_attrs:
            continue
        emb, head = str(t.user_attrs.get("embedder")), str(t.user_attrs.get("head"))
        if emb not in EMBEDDERS or head not in HEADS or HEADS[head].text_input:
            continue
        if emb in sampled or (t.user_attrs.get("recipe") or {}).get("name", "none") != "none":
            continue
        if emb not in best or t.values[0] > best[emb].values[0]:
            best[emb] = t
    return sorted(best.values(), key=lambda t: -t.values[0])[:MAX_MEMBERS]


def _fold_mean(
    y: np.ndarray, pred: np.ndarray, splits: list[tuple[np.ndarray, np.ndarray]]
) -> float:
    """Mean macro-F1 over the folds' held-out parts: what a trial's CV score is."""
    return float(np.mean([macro_f1(y[va], pred[va]) for _, va in splits]))


def _out_of_fold(data: FoldData, trial: FrozenTrial, n_labels: int, seed: int) -> np.ndarray:
    """A member's probabilities of every train row from its fit on the other folds."""
    emb, head = trial.user_attrs["embedder"], trial.user_attrs["head"]
    params = dict(trial.user_attrs.get("params", {}))
    scale = EMBEDDERS[emb].cls.needs_scaling
    out = np.zeros((len(data.y), n_labels))
    for fold, (tr, va) in enumerate(data.splits(emb)):
        standard = standardizes(head, params, scale)
        Xtr, Xva = data.arrays(emb, fold, standard)
        dense = isinstance(Xtr, np.ndarray)
        # the deployed head (CV's faster solvers give no probabilities)
        est = build_head(head, params, scale=scale, seed=seed, prescaled=dense)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(Xtr, data.y[tr])
            out[np.ix_(va, np.asarray(est.classes_, dtype=np.int64))] = est.predict_proba(Xva)
    return out


def _stacked_oof(
    probas: list[np.ndarray], y: np.ndarray, splits: list[tuple[np.ndarray, np.ndarray]], seed: int
) -> np.ndarray:
    """The stacked logistic regression's own out-of-fold predictions over the members'
    out-of-fold probabilities, on the same folds."""
    from sklearn.linear_model import LogisticRegression

    Z = np.hstack(probas)
    pred = np.zeros(len(y), dtype=np.int64)
    for tr, va in splits:
        meta = LogisticRegression(max_iter=1000, random_state=seed).fit(Z[tr], y[tr])
        pred[va] = meta.classes_[meta.predict_proba(Z[va]).argmax(axis=1)]
    return pred


def choose_ensemble(
    data: SearchData,
    cache: EmbeddingCache,
    config: SearchConfig,
    members: list[FrozenTrial],
    winner_cv: float,
    methods: Collection[EnsembleMethod] = ENSEMBLE_METHODS,
    *,
    stop_at: float | None = None,
) -> EnsembleChoice | None:
    """The ensemble of the best trials of different embedders, judged by CV: chosen when it
    beats each member and the winner (``winner_cv``) by :data:`MIN_GAIN`. None when fewer
    than two can be members (``ensemble_members``). ``methods``: those whose refit the
    budget has room for; ``stop_at`` (wall clock): judging is abandoned (None) when a member
    is still to be scored then."""
    if len(members) < 2 or config.pooled or not methods:
        return None
    began = time.time()
    folds = FoldData(texts=data.train.texts, labels=data.train.labels, keys=data.train.keys,
                     folds=data.cv_folds(config.cv_folds), seed=config.seed, cache=cache)  # fmt: skip
    n_labels = len(set(data.train.labels))
    probas = []
    for t in members:
        if stop_at is not None and time.time() > stop_at:
            log.warning("ensemble left out: judging it ran into the time kept for the refit")
            return None
        probas.append(_out_of_fold(folds, t, n_labels, config.seed))
    splits, y = folds.splits(), folds.y
    members_cv = tuple(_fold_mean(y, p.argmax(axis=1), splits) for p in probas)
    methods_cv = {}
    if "soft_vote" in methods:
        methods_cv["soft_vote"] = _fold_mean(y, np.mean(probas, axis=0).argmax(axis=1), splits)
    if "stack" in methods:
        methods_cv["stack"] = _fold_mean(y, _stacked_oof(probas, y, splits, config.seed), splits)
    method: EnsembleMethod = max(methods, key=lambda m: methods_cv[m])
    score = methods_cv[method]
    return EnsembleChoice(
        trials=tuple(t.number for t in members),
        method=method,
        cv_macro_f1=score,
        methods_cv=methods_cv,
        members_cv=members_cv,
        chosen=score >= max(*members_cv, winner_cv) + MIN_GAIN,
        seconds=round(time.time() - began, 2),
    )
