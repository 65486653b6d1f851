"""Tracking and registry: MLflow runs through a Tracker object, metrics, pyfunc models, the
registry with champion/challenger aliases, and environment locks."""

from textops.track._background import BackgroundRuns
from textops.track._envlock import NUMERIC_PACKAGES, capture_env_lock, compare_env
from textops.track._metrics import confusion_figure, evaluate, expected_calibration_error
from textops.track._mlflow import default_tracking_uri
from textops.track._pyfunc import download_model, load_classifier, model_requirements, save_pyfunc
from textops.track._registry import CHALLENGER, CHAMPION, ModelRegistry, Registration
from textops.track._tracker import FinishedRun, MemoryTracker, MlflowTracker, Tracker
from textops.track._uri import ModelURI, client_for, resolve_version

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "NUMERIC_PACKAGES",
    "BackgroundRuns",
    "FinishedRun",
    "MemoryTracker",
    "MlflowTracker",
    "ModelRegistry",
    "ModelURI",
    "Registration",
    "Tracker",
    "capture_env_lock",
    "client_for",
    "compare_env",
    "confusion_figure",
    "default_tracking_uri",
    "download_model",
    "evaluate",
    "expected_calibration_error",
    "load_classifier",
    "model_requirements",
    "resolve_version",
    "save_pyfunc",
]
