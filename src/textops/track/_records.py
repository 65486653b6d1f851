"""What a run records of a model: its test scores (every figure as a metric, the whole as
``test_metrics.json``, the confusion matrix as a figure) and the environment it was trained
in (``env_lock.json``). One call each, so every stage that scores or trains a model logs them
the same way."""

from __future__ import annotations

from textops.track._envlock import EnvLock, capture_env_lock
from textops.track._metrics import Scores, confusion_figure
from textops.track._tracker import Tracker

__all__ = ["log_env_lock", "log_scores"]


def log_scores(tracker: Tracker, run: str, scores: Scores, **extra: float) -> None:
    """``scores`` on ``run``: ``test_<figure>`` and ``test_<label>_<precision|recall|f1>``
    metrics (with ``extra`` ones), ``test_metrics.json`` and ``confusion_matrix.png``."""
    import matplotlib.pyplot as plt

    values = scores.as_json()
    metrics = {f"test_{k}": v for k, v in values.items()
               if isinstance(v, int | float) and not isinstance(v, bool)}  # fmt: skip
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
