"""A classifier scored on labelled rows (:func:`evaluate`): accuracy, the one macro-F1, per-label
precision/recall/F1, ROC AUC, calibration. What a search logs for its winner, the registry
compares between versions, and ``--json`` prints."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from textops._json import OMIT_NONE
from textops.model._scores import macro_f1_labels

__all__ = [
    "ClassScores",
    "Reliability",
    "Scores",
    "evaluate",
    "expected_calibration_error",
    "reliability",
]


def expected_calibration_error(proba: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    """Weighted gap between confidence and accuracy over equal-width confidence bins."""
    conf = proba.max(axis=1)
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    for lo, hi in itertools.pairwise(edges):
        mask = (conf > lo) & (conf <= hi)
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - conf[mask].mean())
    return float(ece)


@dataclass(frozen=True)
class Reliability:
    """A reliability diagram's bins: mean confidence, accuracy and rows per non-empty bin."""

    confidence: tuple[float, ...]
    accuracy: tuple[float, ...]
    count: tuple[int, ...]


def reliability(proba: np.ndarray, correct: np.ndarray, bins: int = 15) -> Reliability:
    """The bins :func:`expected_calibration_error` averages over."""
    conf = proba.max(axis=1)
    mean_conf, accuracy, count = [], [], []
    for lo, hi in itertools.pairwise(np.linspace(0.0, 1.0, bins + 1)):
        mask = (conf > lo) & (conf <= hi)
        if mask.any():
            mean_conf.append(float(conf[mask].mean()))
            accuracy.append(float(correct[mask].mean()))
            count.append(int(mask.sum()))
    return Reliability(tuple(mean_conf), tuple(accuracy), tuple(count))


@dataclass(frozen=True)
class ClassScores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Scores:
    """A classifier's scores on labelled rows (:func:`evaluate`): what a search logs for its
    winner, the registry compares, and ``--json`` prints (``textops._json.to_json``)."""

    accuracy: float
    macro_f1: float
    micro_f1: float
    n: int
    per_class: dict[str, ClassScores]
    roc_auc: float | None
    ece: float
    confusion_matrix: list[list[int]]
    labels: list[str]
    #: milliseconds per text of the uncached model, one text at a time (a search's winner)
    latency_ms_per_text: float | None = field(default=None, metadata=OMIT_NONE)


def evaluate(y_true: Sequence[str], proba: np.ndarray, labels: Sequence[str]) -> Scores:
    from sklearn.metrics import (
        accuracy_score,
        confusion_matrix,
        f1_score,
        precision_recall_fscore_support,
        roc_auc_score,
    )

    labels = list(labels)
    y_pred = [labels[i] for i in proba.argmax(axis=1)]
    y = list(y_true)
    p, r, f, s = precision_recall_fscore_support(y, y_pred, labels=labels, zero_division=0)
    per_class = {lab: ClassScores(float(p[i]), float(r[i]), float(f[i]), int(s[i]))
                 for i, lab in enumerate(labels)}  # fmt: skip
    roc_auc: float | None
    try:
        if len(labels) == 2:
            roc_auc = float(roc_auc_score([v == labels[1] for v in y], proba[:, 1]))
        else:
            roc_auc = float(roc_auc_score(y, proba, multi_class="ovr", labels=labels))
    except ValueError:  # a class absent from y_true
        roc_auc = None
    correct = np.asarray([a == b for a, b in zip(y, y_pred, strict=True)], dtype=float)
    return Scores(
        accuracy=float(accuracy_score(y, y_pred)),
        # the one macro-F1 (the gate's and the search's): over the labels in y or y_pred
        macro_f1=macro_f1_labels(y, y_pred),
        micro_f1=float(f1_score(y, y_pred, average="micro", labels=labels, zero_division=0)),
        n=len(y),
        per_class=per_class,
        roc_auc=roc_auc,
        ece=expected_calibration_error(proba, correct),
        confusion_matrix=confusion_matrix(y, y_pred, labels=labels).tolist(),
        labels=labels,
    )
