"""What cross-validation measured: each trial's scores, fold by fold (or training by training),
from which its trial attributes and MLflow run are written; and, with few labels, the winner's
repeated-CV estimate that stands for a test score.

Fold scores of repeated CV are not independent (their training sets overlap), so the plain
standard error is too narrow; the interval uses Nadeau and Bengio's corrected variance,
``(1/J + n_test/n_train) * s**2`` over the ``J`` fold scores, with Student's t at ``J - 1``
degrees of freedom (scipy).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from textops._json import OMIT_NONE
from textops.model import EpochRecord

__all__ = ["CVEstimate", "FoldResult", "TrialRecord", "brier_score", "cv_estimate"]


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


@dataclass(frozen=True)
class CVEstimate:
    """What stands for a test score when no row was held out (few labels): the winner's
    repeated-CV macro-F1 with its corrected 95 % interval."""

    macro_f1: float
    folds: int
    repeats: int
    fold_scores: int
    n: int
    macro_f1_ci95: tuple[float, float] | None = field(default=None, metadata=OMIT_NONE)
    estimate: str = "cv"


def cv_estimate(scores: Sequence[float], n_rows: int, folds: int, repeats: int) -> CVEstimate:
    """What the report's ``test`` holds when no row was held out: the CV estimate."""
    from scipy import stats

    s = np.asarray(list(scores), dtype=np.float64)
    mean = float(s.mean()) if len(s) else 0.0
    ci = None
    if len(s) >= 2:
        ratio = 1.0 / (folds - 1)  # held-out rows / training rows of one fold
        se = float(np.sqrt((1.0 / len(s) + ratio) * s.var(ddof=1)))
        half = float(stats.t.ppf(0.975, len(s) - 1)) * se
        ci = (max(mean - half, 0.0), min(mean + half, 1.0))
    return CVEstimate(macro_f1=mean, folds=folds, repeats=repeats if len(s) > folds else 1,
                      fold_scores=len(s), n=n_rows, macro_f1_ci95=ci)  # fmt: skip
