"""Live accuracy from delayed feedback: over all history and over rolling windows."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass

from textops.monitor._drift_types import ReportedModel
from textops.monitor._store import MonitorStore

__all__ = ["LivePerformance", "WindowScores", "live_performance", "parse_window"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_window(spec: str) -> tuple[str, float]:
    """``"500"`` -> the last 500 labelled predictions; ``"1h"`` / ``"30m"`` / ``"7d"`` -> time."""
    spec = spec.strip()
    if spec.isdigit():
        return "count", float(spec)
    unit = spec[-1:]
    if unit in _UNITS and spec[:-1].replace(".", "", 1).isdigit():
        return "time", float(spec[:-1]) * _UNITS[unit]
    from textops.errors import ConfigError

    raise ConfigError(f"window {spec!r}: use a count (500) or a duration (30m, 1h, 7d)")


@dataclass(frozen=True)
class WindowScores:
    """Live figures over all feedback or one window of it (``window``: its spec, ``kind``:
    ``count`` or ``time``; None over all history, where the prediction counts are given)."""

    n_feedback: int
    accuracy: float | None
    macro_f1: float | None
    per_class_recall: dict[str, float]
    label_coverage: float
    window: str | None = None
    kind: str | None = None
    n_predictions: int | None = None
    feedback_rate: float | None = None


@dataclass(frozen=True)
class LivePerformance:
    """One model (version)'s live figures: over all history and per window; ``model`` and
    ``pending_writes`` (log records not yet in the database) when a service reports them."""

    overall: WindowScores
    windows: list[WindowScores]
    model: ReportedModel | None = None
    pending_writes: int | None = None


def _scores(rows: Sequence[tuple[str, str, float]], labels: Sequence[str]) -> WindowScores:
    from sklearn.metrics import recall_score

    from textops.model import macro_f1_labels

    n = len(rows)
    if n == 0:
        return WindowScores(0, None, None, {}, 0.0)
    pred = [r[0] for r in rows]
    true = [r[1] for r in rows]
    seen = sorted(set(true))
    rec = recall_score(true, pred, labels=seen, average=None, zero_division=0)
    return WindowScores(
        n_feedback=n,
        accuracy=round(sum(p == t for p, t in zip(pred, true, strict=True)) / n, 6),
        # over the labels present in feedback or predictions (scikit-learn's definition)
        macro_f1=round(macro_f1_labels(true, pred), 6),
        per_class_recall={lab: round(float(r), 6) for lab, r in zip(seen, rec, strict=True)},
        label_coverage=round(len(set(seen) & set(labels)) / max(len(labels), 1), 6),
    )


def live_performance(
    store: MonitorStore,
    labels: Sequence[str],
    windows: Sequence[str],
    model_name: str | None = None,
    model_version: str | None = None,
    now: float | None = None,
) -> LivePerformance:
    """Accuracy, macro-F1, per-class recall, feedback count, label coverage and the share of
    predictions with feedback, over all history and per window, of one model (version) when
    named."""
    now = time.time() if now is None else now
    rows = store.labelled(model_name=model_name, model_version=model_version)
    n_pred = store.count("predictions", model_name=model_name, model_version=model_version)
    overall = dataclasses.replace(
        _scores(rows, labels),
        n_predictions=n_pred,
        feedback_rate=round(len(rows) / n_pred, 6) if n_pred else 0.0,
    )
    scored = []
    for spec in windows:
        kind, size = parse_window(spec)
        sel = rows[: int(size)] if kind == "count" else [r for r in rows if r[2] >= now - size]
        scored.append(dataclasses.replace(_scores(sel, labels), window=spec, kind=kind))
    return LivePerformance(overall, scored)
