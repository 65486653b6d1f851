"""Monitoring: the prediction log, delayed feedback, live accuracy, drift."""

from textops.monitor._drift import DriftThresholds, drift_report
from textops.monitor._log import PredictionLog
from textops.monitor._performance import live_performance, parse_window
from textops.monitor._service import MonitorService
from textops.monitor._store import MonitorStore, default_monitor_url

__all__ = [
    "DriftThresholds",
    "MonitorService",
    "MonitorStore",
    "PredictionLog",
    "default_monitor_url",
    "drift_report",
    "live_performance",
    "parse_window",
]
