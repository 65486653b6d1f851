"""Shared CLI plumbing: one JSON object on stdout with --json, errors that say what to do next."""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import typer

from textops._redact import redact, redact_text
from textops.errors import TextopsError

if TYPE_CHECKING:
    from pydantic import BaseModel
    from typer.models import OptionInfo

__all__ = ["EXIT_ERROR", "EXIT_FAILED_CHECK", "emit", "handle_errors", "parse_params"]

EXIT_FAILED_CHECK = 1  # the command ran and its check failed (e.g. cache verify off tolerance)
EXIT_ERROR = 2  # the command could not run: bad input, missing dataset, unparseable file

P = ParamSpec("P")
R = TypeVar("R")

JsonOpt = typer.Option(False, "--json", help="Print one JSON object on stdout instead of tables.")
TrackingOpt = typer.Option(
    None, help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI or sqlite in the textops home)."
)

MonitorDbOpt = typer.Option(None, help="The service's monitor database URL (default: the home's).")


def emit(obj: object, as_json: bool) -> None:
    """``obj`` (a JSON value) as one JSON line on stdout (credentials in URLs and secret fields
    masked)."""
    if as_json:
        sys.stdout.write(json.dumps(redact(obj), default=str, sort_keys=False) + "\n")


class _StderrHandler(logging.Handler):
    """Writes to whatever ``sys.stderr`` is at the time of the record (test runners swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(redact_text(self.format(record)) + "\n")


def _setup_logging() -> None:
    logger = logging.getLogger("textops")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False  # libraries that configure the root logger would print twice


def field_help(model: type[BaseModel], field: str) -> str:
    """A config field's own description and default, as a flag's help: the config is the one
    place the words live, so ``--help`` cannot drift from it."""
    from pydantic_core import PydanticUndefined

    info = model.model_fields[field]
    default = info.default
    if isinstance(default, tuple):
        default = ",".join(map(str, default))
    text = (info.description or "").rstrip(".")
    text = text[:1].upper() + text[1:]
    shown = default is not None and default is not PydanticUndefined
    return f"{text} (default: {default})." if shown else f"{text}."


def field_option(model: type[BaseModel], field: str, *names: str) -> OptionInfo:
    """A ``typer.Option`` whose help is :func:`field_help`."""
    option: OptionInfo = typer.Option(*names, help=field_help(model, field), show_default=False)
    return option


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn a TextopsError into a one-line message on stderr (and a JSON error) and exit with
    its ``exit_code`` (2: could not run; 1: a check failed)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        _setup_logging()
        try:
            return fn(*args, **kwargs)
        except TextopsError as exc:
            if kwargs.get("as_json"):
                emit({"error": str(exc), "type": type(exc).__name__}, True)
            typer.secho(f"error: {redact_text(str(exc))}", err=True, fg=typer.colors.RED)
            raise typer.Exit(getattr(exc, "exit_code", EXIT_ERROR)) from None

    return wrapper


def parse_params(items: list[str]) -> dict[str, object]:
    """``["dim=64", "model=/path"]`` -> ``{"dim": 64, "model": "/path"}`` (values as YAML)."""
    from textops._config import parse_overrides

    return parse_overrides(items)
