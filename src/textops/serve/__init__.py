"""Serving: a FastAPI prediction service with micro-batching, metrics and registry hot swap.

Names load on first use, so the CLI can read :class:`ServeSettings` (its flags come from the
settings' own fields) without importing FastAPI, the model stack or the monitor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textops._lazy import lazy_names as _lazy_names

if TYPE_CHECKING:
    from textops.serve._app import create_app
    from textops.serve._export import export_onnx
    from textops.serve._image import BuildContext, safe_pins, write_build_context
    from textops.serve._model import load_served_model
    from textops.serve._run import export_openapi, run_server
    from textops.serve._settings import ServeSettings

__all__ = [
    "BuildContext",
    "ServeSettings",
    "create_app",
    "export_onnx",
    "export_openapi",
    "load_served_model",
    "run_server",
    "safe_pins",
    "write_build_context",
]
__getattr__, __dir__ = _lazy_names(
    __name__,
    {
        "BuildContext": "_image",
        "ServeSettings": "_settings",
        "create_app": "_app",
        "export_onnx": "_export",
        "export_openapi": "_run",
        "load_served_model": "_model",
        "run_server": "_run",
        "safe_pins": "_image",
        "write_build_context": "_image",
    },
    globals(),
)
