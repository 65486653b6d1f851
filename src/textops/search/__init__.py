"""Search stage: one Optuna study over embedder x head x hyperparameters on cached embeddings.

Names load on first use, so the CLI reads :class:`SearchConfig` and its defaults without
importing scikit-learn, Optuna or the embedders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textops._lazy import lazy_names as _lazy_names

if TYPE_CHECKING:
    from textops.search._config import DEFAULT_EMBEDDERS, DEFAULT_HEADS, SearchConfig
    from textops.search._run import run_search

__all__ = ["DEFAULT_EMBEDDERS", "DEFAULT_HEADS", "SearchConfig", "run_search"]
__getattr__, __dir__ = _lazy_names(
    __name__,
    {
        "DEFAULT_EMBEDDERS": "_config",
        "DEFAULT_HEADS": "_config",
        "SearchConfig": "_config",
        "run_search": "_run",
    },
    globals(),
)
