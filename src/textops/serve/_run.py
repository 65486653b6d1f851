"""Start the service under uvicorn, or write its OpenAPI spec without starting anything."""

from __future__ import annotations

import json
import os
from pathlib import Path

from textops._packages import require
from textops._types import JSON
from textops.serve._settings import ENV_CONFIG, ServeSettings

__all__ = ["export_openapi", "run_server"]


def export_openapi(settings: ServeSettings, path: str | Path) -> JSON:
    """The OpenAPI 3 document of the service for ``settings``, written to ``path``."""
    from textops.serve._app import create_app

    spec: JSON = create_app(settings, load_model=False).openapi()
    Path(path).write_text(json.dumps(spec, indent=2, sort_keys=True) + "\n")
    return spec


def run_server(settings: ServeSettings, *, log_level: str = "info") -> None:
    """Serve until interrupted. Fails fast when the model URI does not resolve."""
    require("serve", "textops serve", "fastapi", "uvicorn", "prometheus_client", "fastapi_offline")
    import uvicorn

    from textops.track import default_tracking_uri, resolve_version

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # OpenMP threads that spin between torch ops take the CPU the event loop needs on small
    # machines (set before torch loads; a user's own setting wins)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    settings.api_key()  # a configured but empty key variable is an error now, not per request
    resolve_version(
        settings.model_uri, settings.tracking_uri or default_tracking_uri(settings.home)
    )
    os.environ[ENV_CONFIG] = settings.model_dump_json()
    uvicorn.run(
        "textops.serve._app:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
