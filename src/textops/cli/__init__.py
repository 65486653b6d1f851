"""The ``textops`` command line (Typer)."""

from textops.cli._app import app, main
from textops.cli._search import print_search

__all__ = ["app", "main", "print_search"]
