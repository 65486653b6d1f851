"""Live accuracy from delayed feedback: over all history and over rolling windows."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from textops._types import JSON

__all__ = ["live_performance", "parse_window"]

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


def _scores(rows: Sequence[tuple[str, str, float]], labels: Sequence[str]) -> JSON:
    from sklearn.metrics import recall_score

    from textops.model import macro_f1_labels

    n = len(rows)
    out: JSON = {"n_feedback": n}
    if n == 0:
        out.update(accuracy=None, macro_f1=None, per_class_recall={}, label_coverage=0.0)
        return out
    pred = [r[0] for r in rows]
    true = [r[1] for r in rows]
    seen = sorted(set(true))
    out["accuracy"] = round(sum(p == t for p, t in zip(pred, true, strict=True)) / n, 6)
    # over the labels present in feedback or predictions (scikit-learn's definition)
    out["macro_f1"] = round(macro_f1_labels(true, pred), 6)
    rec = recall_score(true, pred, labels=seen, average=None, zero_division=0)
    out["per_class_recall"] = {lab: round(float(r), 6) for lab, r in zip(seen, rec, strict=True)}
    out["label_coverage"] = round(len(set(seen) & set(labels)) / max(len(labels), 1), 6)
    return out


def live_performance(
    store: Any,
    labels: Sequence[str],
    windows: Sequence[str],
    model_name: str | None = None,
    model_version: str | None = None,
    now: float | None = None,
) -> JSON:
    """``{"overall": {...}, "windows": [{"window": "500", ...}, ...]}`` with accuracy, macro_f1,
    per-class recall, n_feedback, label_coverage and the share of predictions with feedback,
    of one model (version) when named."""
    now = time.time() if now is None else now
    who = {"model_name": model_name, "model_version": model_version}
    rows = store.labelled(**who)
    n_pred = store.count("predictions", **who)
    overall = _scores(rows, labels)
    overall["n_predictions"] = n_pred
    overall["feedback_rate"] = round(len(rows) / n_pred, 6) if n_pred else 0.0
    out: JSON = {"overall": overall, "windows": []}
    for spec in windows:
        kind, size = parse_window(spec)
        sel = rows[: int(size)] if kind == "count" else [r for r in rows if r[2] >= now - size]
        w = _scores(sel, labels)
        w.update(window=spec, kind=kind)
        out["windows"].append(w)
    return out
