"""The ``textops`` command line (Typer)."""

from textops.cli._app import app, main

__all__ = ["app", "main"]
