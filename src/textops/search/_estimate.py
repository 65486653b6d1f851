"""The few-labels mode's estimate of the winner: its repeated-CV macro-F1 with a 95 % interval.

Fold scores of repeated CV are not independent (their training sets overlap), so the plain
standard error is too narrow; the interval uses Nadeau and Bengio's corrected variance,
``(1/J + n_test/n_train) * s**2`` over the ``J`` fold scores, with Student's t at ``J - 1``
degrees of freedom (scipy).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from textops._types import JSON

__all__ = ["CVEstimate", "cv_estimate"]


@dataclass(frozen=True)
class CVEstimate:
    """What stands for a test score when no row was held out (few labels): the winner's
    repeated-CV macro-F1 with its corrected 95 % interval."""

    macro_f1: float
    folds: int
    repeats: int
    fold_scores: int
    n: int
    macro_f1_ci95: tuple[float, float] | None = None
    estimate: str = "cv"

    def as_json(self, *, confusion: bool = True) -> JSON:
        out: JSON = {"estimate": self.estimate, "macro_f1": self.macro_f1, "folds": self.folds,
                     "repeats": self.repeats, "fold_scores": self.fold_scores, "n": self.n}  # fmt: skip
        if self.macro_f1_ci95 is not None:
            out["macro_f1_ci95"] = list(self.macro_f1_ci95)
        return out


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
