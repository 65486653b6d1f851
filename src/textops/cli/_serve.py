"""``textops serve``: the prediction service for a registered model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from textops.cli._common import TrackingOpt, handle_errors


def _settings(values: dict[str, Any]) -> Any:
    from pydantic import ValidationError

    from textops.errors import ConfigError
    from textops.serve import ServeSettings

    try:
        return ServeSettings.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        errs = "; ".join(f"--{'-'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"invalid serve options: {errs}") from None


@handle_errors
def serve(
    model_uri: Annotated[
        str,
        typer.Argument(
            help="models:/NAME@champion follows the alias (hot swap); models:/NAME/3 pins one "
            "version; runs:/RUN_ID/model serves a run's model."
        ),
    ],
    host: Annotated[
        str, typer.Option(help="Interface to bind (keep 127.0.0.1 unless proxied).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes (one model each).")] = 1,
    api_key_env: Annotated[
        str | None,
        typer.Option(
            help="Name of the environment variable holding the API key. Clients send it in "
            "the x-api-key header; admin endpoints need it."
        ),
    ] = None,
    max_batch_size: Annotated[int, typer.Option(help="Texts per model call.")] = 64,
    max_wait_ms: Annotated[
        float, typer.Option(help="Under load, how long a batch waits for more requests.")
    ] = 5.0,
    max_texts: Annotated[int, typer.Option(help="Texts per request (more: 413).")] = 256,
    max_chars: Annotated[int, typer.Option(help="Characters per text.")] = 20_000,
    long_text: Annotated[
        str, typer.Option(help="A text over --max-chars: 'reject' (413) or 'truncate'.")
    ] = "reject",
    max_body_bytes: Annotated[int, typer.Option(help="Request body size (more: 413).")] = 2_000_000,
    poll_seconds: Annotated[
        float, typer.Option(help="Check the registry alias this often (0: never).")
    ] = 30.0,
    monitor: Annotated[
        bool,
        typer.Option(
            help="Log every prediction (asynchronously) and accept feedback at /v1/feedback."
        ),
    ] = True,
    monitor_db: Annotated[
        str | None,
        typer.Option(
            help="SQLAlchemy URL of the monitor database (default: sqlite in the textops home), "
            "e.g. postgresql+psycopg://user@host/db."
        ),
    ] = None,
    log_text: Annotated[
        bool, typer.Option(help="Store the texts in the prediction log (default: hashes only).")
    ] = False,
    perf_windows: Annotated[
        str,
        typer.Option(help="Live-metric windows: counts of labelled predictions or durations."),
    ] = "100,1000,1h,24h",
    backend: Annotated[
        str,
        typer.Option(
            help="Encoder runtime: auto (the version's ONNX export if any), torch, or onnx."
        ),
    ] = "auto",
    strict_env: Annotated[
        bool,
        typer.Option(help="Refuse to serve when numeric packages differ from the model's lock."),
    ] = False,
    tracking_uri: str | None = TrackingOpt,
    export_openapi: Annotated[
        Path | None,
        typer.Option(help="Write the OpenAPI 3 spec to this file and exit (no server, no model)."),
    ] = None,
) -> None:
    """Serve MODEL_URI over HTTP: POST /v1/predict, GET /v1/model, /healthz, /readyz, /metrics,
    Swagger UI at /docs. Concurrent requests are micro-batched; an alias URI is followed and a
    new version swapped in without failing requests."""
    settings = _settings(
        {
            "model_uri": model_uri,
            "host": host,
            "port": port,
            "workers": workers,
            "api_key_env": api_key_env,
            "max_batch_size": max_batch_size,
            "max_wait_ms": max_wait_ms,
            "max_texts": max_texts,
            "max_chars": max_chars,
            "long_text": long_text,
            "max_body_bytes": max_body_bytes,
            "poll_seconds": poll_seconds,
            "backend": backend,
            "monitor": monitor,
            "monitor_db": monitor_db,
            "log_text": log_text,
            "perf_windows": tuple(w for w in perf_windows.split(",") if w),
            "strict_env": strict_env,
            "tracking_uri": tracking_uri,
        }
    )
    if export_openapi is not None:
        from textops.serve import export_openapi as write_spec

        spec = write_spec(settings, export_openapi)
        typer.echo(
            f"wrote OpenAPI {spec['openapi']} spec ({len(spec['paths'])} paths) to {export_openapi}"
        )
        return
    from textops.serve import run_server

    typer.echo(
        f"serving {model_uri} on http://{host}:{port} (docs at /docs, metrics at /metrics)",
        err=True,
    )
    run_server(settings)
