"""``textops tracking-server``: MLflow's own tracking server, with defaults that make the
laptop's store the team's: the same SQLite database textops writes by default (or PostgreSQL),
artifacts served through the server (clients need no access to its disk or bucket)."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from textops.cli._common import handle_errors


@handle_errors
def tracking_server(
    backend_store_uri: Annotated[
        str | None,
        typer.Option(
            help="Where runs and the registry live: postgresql+psycopg://user@host/db "
            "for a team (default: the home's sqlite mlflow.db, what textops uses alone)."
        ),
    ] = None,
    artifacts_destination: Annotated[
        str | None,
        typer.Option(
            help="Where models and artifacts are stored: a folder or s3://bucket/path "
            "(default: mlartifacts in the home). Clients reach them through the server."
        ),
    ] = None,
    host: Annotated[
        str, typer.Option(help="Interface to listen on (0.0.0.0: every one).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 5000,
    workers: Annotated[int, typer.Option(help="Server worker processes.")] = 2,
    dry_run: Annotated[bool, typer.Option(help="Print the mlflow command and exit.")] = False,
) -> None:
    """Start MLflow's tracking server (needs the full mlflow package: pip install
    'textops[server]'). Point every textops command at it with --tracking-uri
    http://HOST:PORT or MLFLOW_TRACKING_URI.

    Example: textops tracking-server --backend-store-uri postgresql+psycopg://mlflow@db/mlflow
    --artifacts-destination s3://models/mlflow --host 0.0.0.0"""
    import importlib.util

    from textops._home import home_dir
    from textops.errors import MissingDependencyError
    from textops.track import checked_store

    home = home_dir()
    # a home's store that was moved away is an error here too, not a new empty registry
    backend = checked_store(backend_store_uri or f"sqlite:///{home / 'mlflow.db'}")
    artifacts = artifacts_destination or str(home / "mlartifacts")
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        backend,
        "--artifacts-destination",
        artifacts,
        "--serve-artifacts",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    if dry_run:
        typer.echo(" ".join(command))
        return
    if (
        importlib.util.find_spec("mlflow.server") is None
        or importlib.util.find_spec("flask") is None
    ):
        raise MissingDependencyError(
            "the tracking server is in the full mlflow package: pip install 'textops[server]'"
        )
    typer.echo(
        f"MLflow tracking server on http://{host}:{port} (store {backend.split('@')[-1]}, "
        f"artifacts {artifacts}); use --tracking-uri http://{host}:{port}",
        err=True,
    )
    os.execv(sys.executable, command)  # MLflow's own server, signals and all
