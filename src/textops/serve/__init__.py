"""Serving: a FastAPI prediction service with micro-batching, metrics and registry hot swap."""

from textops.serve._app import app_from_env, create_app
from textops.serve._batcher import MicroBatcher
from textops.serve._export import export_onnx
from textops.serve._model import ServedModel, load_served_model, parse_model_uri
from textops.serve._run import export_openapi, run_server
from textops.serve._settings import ServeSettings
from textops.serve._swap import ModelHolder

__all__ = [
    "MicroBatcher",
    "ModelHolder",
    "ServeSettings",
    "ServedModel",
    "app_from_env",
    "create_app",
    "export_onnx",
    "export_openapi",
    "load_served_model",
    "parse_model_uri",
    "run_server",
]
