"""What one trial measured, fold by fold (or training by training): its trial attributes and
its MLflow run are written from it."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from textops.model import EpochRecord

__all__ = ["FoldResult", "TrialRecord", "brier_score"]


class FoldResult(NamedTuple):
    macro_f1: float
    fit_seconds: float
    predict_seconds: float
    predicted: int  # texts
    epochs: int | None  # trained, for heads stopped on the validation split
    brier: float | None = None  # held-out Brier score (few labels: it breaks CV ties)


class TrialRecord:
    """Scores, times and epochs of a trial so far (a pruned trial's too)."""

    def __init__(self) -> None:
        self.scores: list[float] = []
        self.epochs: list[int] = []  # per fold, for heads stopped on the validation split
        self.fit_s = 0.0
        self.predict_s = 0.0
        self.predicted = 0
        #: a trained head's epochs (train loss, validation macro-F1), and its refit estimate
        self.history: list[EpochRecord] = []
        self.refit_s: float | None = None
        self.briers: list[float] = []

    def add(self, fold: FoldResult) -> None:
        self.scores.append(fold.macro_f1)
        if fold.epochs is not None:
            self.epochs.append(fold.epochs)
        if fold.brier is not None:
            self.briers.append(fold.brier)
        self.fit_s += fold.fit_seconds
        self.predict_s += fold.predict_seconds
        self.predicted += fold.predicted

    @property
    def macro_f1(self) -> float:
        return float(np.mean(self.scores)) if self.scores else 0.0

    @property
    def brier(self) -> float | None:
        return float(np.mean(self.briers)) if self.briers else None

    @property
    def head_ms(self) -> float:
        return 1000 * self.predict_s / max(self.predicted, 1)


def brier_score(y_true: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> float:
    """Mean over rows of the squared distance between the predicted distribution and the
    true label's one-hot vector (a label the model never saw counts as probability 0)."""
    onehot = np.asarray(y_true)[:, None] == np.asarray(classes)[None, :]
    return float(np.mean(np.sum((np.asarray(proba) - onehot) ** 2, axis=1) + ~onehot.any(axis=1)))
