"""Monitoring: the prediction log, delayed feedback, live accuracy (drift and the dashboard next)."""

from textops.monitor._log import PredictionLog
from textops.monitor._performance import live_performance, parse_window
from textops.monitor._service import MonitorService
from textops.monitor._store import MonitorStore, default_monitor_url

__all__ = [
    "MonitorService",
    "MonitorStore",
    "PredictionLog",
    "default_monitor_url",
    "live_performance",
    "parse_window",
]
