"""Search stage: one Optuna study over embedder x head x hyperparameters on cached embeddings."""

from textops.search._config import DEFAULT_EMBEDDERS, SearchConfig
from textops.search._heads import HEADS, HeadSpec, build_head
from textops.search._pipeline import TRUSTED_TYPES, TextClassifier
from textops.search._run import run_search

__all__ = [
    "DEFAULT_EMBEDDERS",
    "HEADS",
    "TRUSTED_TYPES",
    "HeadSpec",
    "SearchConfig",
    "TextClassifier",
    "build_head",
    "run_search",
]
