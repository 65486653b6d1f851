"""Faster fits inside a trial: warm starts, and early stopping of heads trained epoch by epoch.

Warm starts for cross-validation: a fit starts from an earlier trial's solution.

Trials of one head differ mostly in a regularisation strength. A solver started from the
solution for a nearby strength, on the same fold, converges in fewer iterations than from zero
(``bench/search.py`` prints logistic regression's median iterations both ways). The optimum is
the same, so the trial scores what a cold fit would, up to the solver's tolerance.

A solution for other class weights, or on another fold of the same rows, is a fair start too
(a reweighted loss, two thirds of the same rows), only a worse one than a nearby strength on
this fold: it is taken when nothing closer was fitted, which makes the first trial's second and
third folds warm. A solution on other inputs (another normalisation) never is.

Early stopping on the validation split, for heads trained epoch by epoch (the MLP).

In cross-validation a fold's held-out part scores the trial, so it cannot also decide when to
stop training. The dataset's validation split does that: the head trains one epoch at a time
on the fold's train part, keeps the weights of the epoch with the best validation macro-F1, and
stops after ``patience`` epochs without a better one. The trial records the epochs that won;
the deployed head, refitted on train + validation (no data left to watch), trains for that many
(``params["epochs"]``) and stays a plain, skops-safe ``MLPClassifier``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Hashable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from textops._types import Features, ParamValue
from textops.model import INPUT_PARAMS as _INPUT_PARAMS  # a start must match these

if TYPE_CHECKING:
    from sklearn.base import BaseEstimator
    from sklearn.neural_network import MLPClassifier

__all__ = ["WarmStarts", "fit_early_stopped"]

#: distance (in log units of the numeric parameters) charged per other categorical parameter
#: that differs: a factor ~7 in C weighs as much as other class weights
_MISMATCH = 2.0
#: ... and for a solution on another fold (2/3 of the same rows with 3 folds): in a one-off
#: comparison on a TREC fold (not in bench/), the same C from another fold saved about as many
#: lbfgs iterations as a 3x other C on this fold; the constant follows that, not a fit
_OTHER_FOLD = 1.5

#: (slot, position of the trial's numeric parameters in log space, other categoricals)
_Token = tuple[Hashable, np.ndarray, tuple[Any, ...]]
#: (position, solution, other categoricals)
_Entry = tuple[np.ndarray, tuple[Any, ...], tuple[Any, ...]]


def _final(est: Any) -> Any:
    """The estimator at the end of a pipeline (or the estimator itself)."""
    return est.steps[-1][1] if hasattr(est, "steps") else est


class WarmStarts:
    """Solutions per (embedder, head, input normalisation), keyed by where the numeric
    parameters were, the fold and the other categorical ones; a new fit starts from the
    nearest one (log scale, plus a fixed distance per categorical parameter that differs and
    for another fold)."""

    def __init__(self, keep: int = 64) -> None:
        self.keep_last = keep
        self._store: dict[Hashable, list[_Entry]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _where(
        embedder: str, head: str, fold: int, params: Mapping[str, Any], across_folds: bool
    ) -> _Token:
        numeric = sorted(
            k
            for k, v in params.items()
            if isinstance(v, int | float) and not isinstance(v, bool) and v > 0
        )
        inputs = tuple(sorted((k, repr(params[k])) for k in _INPUT_PARAMS & params.keys()))
        rest = tuple(
            sorted(
                (k, repr(v))
                for k, v in params.items()
                if k not in numeric and k not in _INPUT_PARAMS
            )
        )
        point = np.array([math.log(params[k]) for k in numeric])
        # folds share one slot only when they share one feature space
        slot = (embedder, head, tuple(numeric), inputs, None if across_folds else fold)
        return slot, point, (("fold", fold), *rest)

    def start(
        self,
        est: BaseEstimator,
        embedder: str,
        head: str,
        fold: int,
        params: Mapping[str, ParamValue],
        attrs: tuple[str, ...],
        across_folds: bool = True,
    ) -> _Token | None:
        """Set ``est`` to start from the nearest stored solution; None when ``attrs`` is empty
        (the head has no warm start) or the estimator cannot start from one (``LinearSVC``,
        which sparse inputs get instead of the Newton solver). ``across_folds=False`` for
        features fitted per fold (TF-IDF: each fold has its own vocabulary), whose solutions
        fit no other fold. Pass the token to :meth:`keep` after fitting."""
        if not attrs or "warm_start" not in _final(est).get_params():
            return None
        slot, point, rest = self._where(embedder, head, fold, params, across_folds)
        with self._lock:
            entries = list(self._store.get(slot, ()))

        def distance(entry: _Entry) -> float:
            other_fold = 1.0 if entry[2][0] != rest[0] else 0.0
            mismatches = len(set(entry[2][1:]) - set(rest[1:]))
            return (
                float(np.abs(entry[0] - point).sum())
                + _MISMATCH * mismatches
                + _OTHER_FOLD * other_fold
            )

        if entries:
            _, values, _ = min(entries, key=distance)
            final = _final(est)
            final.set_params(warm_start=True)
            for name, value in zip(attrs, values, strict=True):
                setattr(final, name, value.copy())
        return slot, point, rest

    def keep(self, est: BaseEstimator, token: _Token, attrs: tuple[str, ...]) -> None:
        slot, point, rest = token
        final = _final(est)
        values = tuple(np.array(getattr(final, name), copy=True) for name in attrs)
        with self._lock:
            entries = self._store.setdefault(slot, [])
            entries.append((point, values, rest))
            del entries[: -self.keep_last]


def fit_early_stopped(
    est: MLPClassifier,
    X: Features,
    y: np.ndarray,
    X_val: Features,
    y_val: np.ndarray,
    score: Callable[[np.ndarray, np.ndarray], float],
    *,
    patience: int = 8,
    max_epochs: int = 300,
    each_epoch: Callable[[], None] | None = None,
) -> int:
    """Train ``est`` (an ``MLPClassifier``) epoch by epoch with ``partial_fit``; leave it with
    the weights of the epoch where ``score(y_val, predictions)`` was best and return that
    epoch (1-based). ``each_epoch`` runs after every epoch (and may raise to stop it all)."""
    est.set_params(early_stopping=False)  # its own stopping holds out part of X instead
    classes = np.unique(y)
    best, best_epoch = -np.inf, 0
    kept: tuple[list[np.ndarray], list[np.ndarray]] | None = None
    for epoch in range(1, max_epochs + 1):
        est.partial_fit(X, y, classes=classes)
        if each_epoch is not None:
            each_epoch()
        value = score(y_val, np.asarray(est.predict(X_val)))
        if value > best + 1e-4:
            best, best_epoch = value, epoch
            kept = ([w.copy() for w in est.coefs_], [b.copy() for b in est.intercepts_])
        elif epoch - best_epoch >= patience:
            break
    assert kept is not None  # the first epoch always improves on -inf
    est.coefs_, est.intercepts_ = kept
    return best_epoch
