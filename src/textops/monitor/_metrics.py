"""The Prometheus series monitoring updates, as a protocol: a service's metrics registry
(``textops.serve``'s) has them; monitoring, a layer below, names only what it writes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from prometheus_client import Counter, Gauge

__all__ = ["MonitorMetrics"]


class MonitorMetrics(Protocol):
    # the prediction log
    log_buffered: Gauge
    log_spilled: Gauge
    log_written: Counter
    log_errors: Counter
    log_dropped: Counter
    log_db_up: Gauge
    # feedback and live accuracy, by model and window
    feedback: Counter
    feedback_refused: Counter
    live_accuracy: Gauge
    live_macro_f1: Gauge
    # drift, by model and test
    drift_score: Gauge
    drift_detected: Gauge
    drift_alerts: Counter
