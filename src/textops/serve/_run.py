"""Start the service under uvicorn, or write its OpenAPI spec without starting anything."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

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


def _preload(settings: ServeSettings) -> Any:
    """The first model, loaded now: a damaged folder or a URI that does not resolve stops
    ``serve`` with its reason (exit 2) instead of a service that stays up answering 503."""
    from textops.serve._model import load_served_model
    from textops.serve._swap import ModelHolder
    from textops.track import default_tracking_uri

    tracking_uri = settings.tracking_uri or default_tracking_uri(settings.home)
    holder = ModelHolder(settings.model_uri, tracking_uri, backend=settings.backend)
    holder.current = load_served_model(settings.model_uri, tracking_uri, backend=settings.backend)
    return holder


def run_server(settings: ServeSettings, *, log_level: str = "info") -> None:
    """Serve until interrupted. Fails fast when the model URI does not resolve or its model
    cannot be loaded."""
    require("serve", "textops serve", "fastapi", "uvicorn", "prometheus_client", "fastapi_offline")
    import uvicorn

    from textops.serve._app import create_app
    from textops.serve._guard import guarded_protocol, raise_file_limit

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # OpenMP threads that spin between torch ops take the CPU the event loop needs on small
    # machines (set before torch loads; a user's own setting wins)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    settings.api_key()  # a configured but empty key variable is an error now, not per request
    settings.admin_key()
    settings.review_keys()
    if settings.allowed_hosts is None:  # the default for where it listens, for every worker
        hosts = settings.hosts()
        settings = settings.model_copy(update={"allowed_hosts": hosts or ("*",)})
    holder = _preload(settings)
    connections = raise_file_limit(settings.max_connections)
    common: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": log_level,
        "access_log": False,
        "timeout_graceful_shutdown": 10,
        "http": guarded_protocol(connections, settings.header_timeout, settings.body_timeout),
        "backlog": 4096,
    }
    if settings.workers == 1:  # this process serves: the model loaded above is the one
        uvicorn.run(create_app(settings, holder=holder), **common)
        return
    os.environ[ENV_CONFIG] = settings.model_dump_json()
    uvicorn.run("textops.serve._app:app_from_env", factory=True, workers=settings.workers, **common)
