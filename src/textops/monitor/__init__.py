"""Monitoring: the prediction log, delayed feedback, live accuracy, drift."""

from textops.monitor._drift_monitor import DriftMonitor
from textops.monitor._log import PredictionLog
from textops.monitor._performance import LivePerformance, WindowScores, parse_window
from textops.monitor._records import FeedbackRecord, PredictionRecord
from textops.monitor._report import write_report
from textops.monitor._service import MonitorService, Provenance, key_fingerprint
from textops.monitor._store import FeedbackRow, MonitorStore, default_monitor_url
from textops.monitor._timeseries import Timeseries, timeseries
from textops.monitor._trigger import RetrainJob, RetrainRun, RetrainStatus, RetrainTrigger

__all__ = [
    "DriftMonitor",
    "FeedbackRecord",
    "FeedbackRow",
    "LivePerformance",
    "MonitorService",
    "MonitorStore",
    "PredictionLog",
    "PredictionRecord",
    "Provenance",
    "RetrainJob",
    "RetrainRun",
    "RetrainStatus",
    "RetrainTrigger",
    "Timeseries",
    "WindowScores",
    "default_monitor_url",
    "key_fingerprint",
    "parse_window",
    "timeseries",
    "write_report",
]
