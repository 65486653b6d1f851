"""MLflow defaults shared by the tracker, the registry and model loading."""

from __future__ import annotations

import os
from pathlib import Path

from textops._home import home_dir

__all__ = ["default_tracking_uri", "quiet_mlflow", "ui_hint"]


def quiet_mlflow() -> None:
    """No artifact progress bars or INFO chatter from MLflow inside textops commands."""
    import logging

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import mlflow  # noqa: F401  (its import configures the "mlflow" logger; override after)

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    for name in ("mlflow.store.db.utils", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)


def default_tracking_uri(home: str | Path | None = None) -> str:
    """``$MLFLOW_TRACKING_URI`` if set, else a SQLite store in the textops home."""
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    return f"sqlite:///{home_dir(home) / 'mlflow.db'}"


def ui_hint(tracking_uri: str) -> str:
    """Where to look at runs: a tracking server serves its own UI at its URL; a database or
    folder store needs ``mlflow ui`` pointed at it (and the full ``mlflow`` package, which
    ``mlflow-skinny`` is not)."""
    from textops._redact import redact_url

    if tracking_uri.startswith(("http://", "https://")):
        return f"open {redact_url(tracking_uri)} in a browser (the tracking server's UI)"
    hint = f"mlflow ui --backend-store-uri {redact_url(tracking_uri)}"
    return hint if _has_mlflow_ui() else hint + "   (needs the full package: pip install mlflow)"


def _has_mlflow_ui() -> bool:
    import importlib.metadata

    try:
        importlib.metadata.version("mlflow")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True
