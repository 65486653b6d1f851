"""Monitoring: the prediction log, delayed feedback, live accuracy, drift."""

from textops.monitor._drift import (
    DriftThresholds,
    build_reference,
    drift_report,
    load_reference,
    oov_rate,
    save_reference,
)
from textops.monitor._log import PredictionLog
from textops.monitor._performance import live_performance, parse_window
from textops.monitor._service import MonitorService
from textops.monitor._store import MonitorStore, default_monitor_url

__all__ = [
    "DriftThresholds",
    "MonitorService",
    "MonitorStore",
    "PredictionLog",
    "build_reference",
    "default_monitor_url",
    "drift_report",
    "live_performance",
    "load_reference",
    "oov_rate",
    "parse_window",
    "save_reference",
]
