"""Tracking and registry: MLflow runs through a Tracker object, metrics, pyfunc models, the
registry with champion/challenger aliases, and environment locks."""

from textops.model import (
    ClassScores,
    Reliability,
    Scores,
    evaluate,
    expected_calibration_error,
    reliability,
)
from textops.track._background import BackgroundRuns
from textops.track._champion import Comparison, HeldOut, Registration
from textops.track._cluster import predict_on_cluster
from textops.track._envlock import (
    NUMERIC_PACKAGES,
    EnvComparison,
    EnvLock,
    PackageDifference,
    capture_env_lock,
    compare_env,
)
from textops.track._gate import (
    GATE_TESTS,
    GATES,
    Gate,
    GateDecision,
    PairedPredictions,
    mcnemar_test,
)
from textops.track._metrics import confusion_figure
from textops.track._mlflow import default_tracking_uri, ui_hint
from textops.track._opening import DatasetInput, OpenRun, RunOpening, open_run
from textops.track._publish import Publication, Published, RegistrationRequest, publish
from textops.track._pyfunc import (
    download_model,
    load_classifier,
    load_model,
    model_dataset,
    save_pyfunc,
)
from textops.track._records import (
    ModelRecord,
    log_env_lock,
    log_model_record,
    log_scores,
    scalar_metrics,
)
from textops.track._registry import ModelRegistry
from textops.track._store import StoreFile, checked_store
from textops.track._tracker import FinishedRun, MemoryTracker, MlflowTracker, Tracker
from textops.track._uri import ModelURI, client_for, resolve_version

__all__ = [
    "GATES",
    "GATE_TESTS",
    "NUMERIC_PACKAGES",
    "BackgroundRuns",
    "ClassScores",
    "Comparison",
    "DatasetInput",
    "EnvComparison",
    "EnvLock",
    "FinishedRun",
    "Gate",
    "GateDecision",
    "HeldOut",
    "MemoryTracker",
    "MlflowTracker",
    "ModelRecord",
    "ModelRegistry",
    "ModelURI",
    "OpenRun",
    "PackageDifference",
    "PairedPredictions",
    "Publication",
    "Published",
    "Registration",
    "RegistrationRequest",
    "Reliability",
    "RunOpening",
    "Scores",
    "StoreFile",
    "Tracker",
    "capture_env_lock",
    "checked_store",
    "client_for",
    "compare_env",
    "confusion_figure",
    "default_tracking_uri",
    "download_model",
    "evaluate",
    "expected_calibration_error",
    "load_classifier",
    "load_model",
    "log_env_lock",
    "log_model_record",
    "log_scores",
    "mcnemar_test",
    "model_dataset",
    "open_run",
    "predict_on_cluster",
    "publish",
    "reliability",
    "resolve_version",
    "save_pyfunc",
    "scalar_metrics",
    "ui_hint",
]
