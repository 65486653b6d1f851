"""Early stopping on the validation split, for heads trained epoch by epoch (the MLP).

In cross-validation a fold's held-out part scores the trial, so it cannot also decide when to
stop training. The dataset's validation split does that: the head trains one epoch at a time
on the fold's train part, keeps the weights of the epoch with the best validation macro-F1, and
stops after ``patience`` epochs without a better one. The trial records the epochs that won;
the deployed head, refitted on train + validation (no data left to watch), trains for that many
(``params["epochs"]``) and stays a plain, skops-safe ``MLPClassifier``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from textops._types import Features

if TYPE_CHECKING:
    from sklearn.neural_network import MLPClassifier

__all__ = ["fit_early_stopped"]


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
