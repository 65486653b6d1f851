"""``textops serve``: the prediction service for a registered model.

Every :class:`~textops.serve.ServeSettings` field has a flag (a test holds them equal); a flag
left out takes its value from ``--config`` (YAML), then from the settings' default. The help
text of each flag is the field's own description and default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from textops.cli._common import field_option, handle_errors
from textops.serve import ServeSettings


def _opt(field: str, *names: str) -> Any:
    return field_option(ServeSettings, field, *names)


@handle_errors
def serve(
    model_uris: Annotated[
        list[str] | None,
        typer.Argument(
            help="models:/NAME@champion follows the alias (hot swap); models:/NAME/3 pins one "
            "version; runs:/RUN_ID/model serves a run's model. Several: each at "
            "/v1/models/NAME/predict, the first also at /v1/predict. May come from --config."
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(help="YAML file with ServeSettings values (flags override it)."),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a setting: key=value (e.g. max_wait_ms=2)."),
    ] = None,
    host: Annotated[str | None, _opt("host")] = None,
    port: Annotated[int | None, _opt("port")] = None,
    workers: Annotated[int | None, _opt("workers")] = None,
    api_key_env: Annotated[str | None, _opt("api_key_env")] = None,
    admin_key_env: Annotated[str | None, _opt("admin_key_env")] = None,
    review_keys_env: Annotated[str | None, _opt("review_keys_env")] = None,
    allowed_hosts: Annotated[str | None, _opt("allowed_hosts")] = None,
    max_pending: Annotated[int | None, _opt("max_pending")] = None,
    max_connections: Annotated[int | None, _opt("max_connections")] = None,
    header_timeout: Annotated[float | None, _opt("header_timeout")] = None,
    body_timeout: Annotated[float | None, _opt("body_timeout")] = None,
    max_batch_size: Annotated[int | None, _opt("max_batch_size")] = None,
    max_wait_ms: Annotated[float | None, _opt("max_wait_ms")] = None,
    max_texts: Annotated[int | None, _opt("max_texts")] = None,
    max_chars: Annotated[int | None, _opt("max_chars")] = None,
    long_text: Annotated[str | None, _opt("long_text")] = None,
    max_body_bytes: Annotated[int | None, _opt("max_body_bytes")] = None,
    max_new_tokens: Annotated[int | None, _opt("max_new_tokens")] = None,
    poll_seconds: Annotated[float | None, _opt("poll_seconds")] = None,
    backend: Annotated[str | None, _opt("backend")] = None,
    monitor: Annotated[bool | None, _opt("monitor", "--monitor/--no-monitor")] = None,
    monitor_db: Annotated[str | None, _opt("monitor_db")] = None,
    log_text: Annotated[bool | None, _opt("log_text", "--log-text/--no-log-text")] = None,
    perf_windows: Annotated[str | None, _opt("perf_windows")] = None,
    monitor_buffer: Annotated[int | None, _opt("monitor_buffer")] = None,
    drift_window: Annotated[int | None, _opt("drift_window")] = None,
    drift_seconds: Annotated[float | None, _opt("drift_seconds")] = None,
    alert_webhook: Annotated[str | None, _opt("alert_webhook")] = None,
    on_drift: Annotated[str | None, _opt("on_drift")] = None,
    retrain_since: Annotated[str | None, _opt("retrain_since")] = None,
    retrain_set: Annotated[list[str] | None, _opt("retrain_set")] = None,
    also_serve: Annotated[list[str] | None, _opt("also_serve")] = None,
    public_url: Annotated[str | None, _opt("public_url")] = None,
    strict_env: Annotated[bool | None, _opt("strict_env", "--strict-env/--no-strict-env")] = None,
    tracking_uri: Annotated[str | None, _opt("tracking_uri")] = None,
    home: Annotated[str | None, _opt("home")] = None,
    export_openapi: Annotated[
        Path | None,
        typer.Option(help="Write the OpenAPI 3 spec to this file and exit (no server, no model)."),
    ] = None,
) -> None:
    """Serve MODEL_URI over HTTP: POST /v1/predict and /v1/feedback, GET /v1/model, /healthz,
    /readyz, /metrics, /dashboard, Swagger UI at /docs. Concurrent requests are micro-batched;
    an alias URI is followed and a new version swapped in without failing requests."""
    from textops._config import load_config
    from textops.errors import ConfigError

    model_uri = model_uris[0] if model_uris else None
    if model_uris and len(model_uris) > 1:
        also_serve = [*model_uris[1:], *(also_serve or [])]
    if model_uri is None and config is None:
        raise ConfigError("give MODEL_URI (e.g. models:/NAME@champion) or --config serve.yaml")
    flags = dict(locals())
    values = {k: flags[k] for k in ServeSettings.model_fields if k in flags}
    if also_serve is not None:
        values["also_serve"] = tuple(also_serve)
    if retrain_set is not None:
        values["retrain_set"] = tuple(retrain_set)
    if perf_windows is not None:
        values["perf_windows"] = tuple(w for w in perf_windows.split(",") if w)
    if allowed_hosts is not None:
        values["allowed_hosts"] = tuple(h.strip() for h in allowed_hosts.split(",") if h.strip())
    settings = load_config(ServeSettings, config, set_ or [], **values)
    if export_openapi is not None:
        from textops.serve import export_openapi as write_spec

        spec = write_spec(settings, export_openapi)
        typer.echo(
            f"wrote OpenAPI {spec['openapi']} spec ({len(spec['paths'])} paths) to {export_openapi}"
        )
        return
    from textops.serve import run_server

    typer.echo(
        f"serving {settings.model_uri} on http://{settings.host}:{settings.port} "
        "(docs at /docs, dashboard at /dashboard, metrics at /metrics)",
        err=True,
    )
    run_server(settings)
