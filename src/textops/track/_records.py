"""What a run records of a model: its test scores (every figure as a metric, the whole as
``test_metrics.json``, the confusion matrix as a figure) and the environment it was trained
in (``env_lock.json``). One call each, so every stage that scores or trains a model logs them
the same way; :func:`log_model_record` logs a whole :class:`ModelRecord` (params, scores,
other metrics and files, the environment) in one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from textops._json import to_json
from textops._types import JSON
from textops.model import Scores
from textops.track._envlock import EnvLock, capture_env_lock
from textops.track._metrics import confusion_figure
from textops.track._tracker import Tracker

__all__ = ["ModelRecord", "log_env_lock", "log_model_record", "log_scores", "scalar_metrics"]


def scalar_metrics(values: Mapping[str, object], prefix: str) -> dict[str, float]:
    """The numbers among ``values`` (a scores' JSON) as ``<prefix>_<key>`` metrics."""
    return {f"{prefix}_{k}": float(v) for k, v in values.items()
            if isinstance(v, int | float) and not isinstance(v, bool)}  # fmt: skip


def log_scores(tracker: Tracker, run: str, scores: Scores, **extra: float) -> None:
    """``scores`` on ``run``: ``test_<figure>`` and ``test_<label>_<precision|recall|f1>``
    metrics (with ``extra`` ones), ``test_metrics.json`` and ``confusion_matrix.png``."""
    import matplotlib.pyplot as plt

    values = to_json(scores)
    metrics = scalar_metrics(values, "test")
    for lab, m in scores.per_class.items():
        metrics.update({f"test_{lab}_{k}": getattr(m, k) for k in ("precision", "recall", "f1")})
    tracker.log_metrics(run, {**extra, **metrics})
    tracker.log_dict(run, values, "test_metrics.json")
    figure = confusion_figure(scores)
    tracker.log_figure(run, figure, "confusion_matrix.png")
    plt.close(figure)


def log_env_lock(tracker: Tracker, run: str) -> EnvLock:
    """This environment's lock, logged on ``run`` as ``env_lock.json``."""
    lock = capture_env_lock()
    tracker.log_dict(run, lock.as_json(), "env_lock.json")
    return lock


@dataclass(frozen=True)
class ModelRecord:
    """A model as a run records it: its params, its test scores (None: it has none, e.g. a
    cross-validated estimate given as ``metrics`` instead), other metrics, and JSON files."""

    params: Mapping[str, object]
    scores: Scores | None = None
    metrics: Mapping[str, float] = field(default_factory=dict)
    files: Mapping[str, JSON | list[JSON]] = field(default_factory=dict)


def log_model_record(tracker: Tracker, run: str, record: ModelRecord) -> EnvLock:
    """``record`` on ``run``, with this environment's lock; returns the lock."""
    tracker.log_params(run, record.params)
    if record.scores is not None:
        log_scores(tracker, run, record.scores, **record.metrics)
    elif record.metrics:
        tracker.log_metrics(run, dict(record.metrics))
    for name, payload in record.files.items():
        tracker.log_dict(run, payload, name)
    return log_env_lock(tracker, run)
