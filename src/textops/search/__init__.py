"""Search stage: one Optuna study over embedder x head x hyperparameters on cached embeddings.

``textops.search(config)`` runs a search (the package is callable: the same as
:func:`run_search`). Names load on first use, so the CLI reads :class:`SearchConfig` and its
defaults without importing scikit-learn, Optuna or the embedders.
"""

from __future__ import annotations

import sys as _sys
import types as _types
from typing import TYPE_CHECKING

from textops._lazy import lazy_names as _lazy_names

if TYPE_CHECKING:
    from textops.search._config import (
        DEFAULT_EMBEDDERS,
        DEFAULT_HEADS,
        DEFAULT_TIMEOUT,
        DEFAULT_TRIALS,
        FEW_LABEL_HEADS,
        TIMED_HEADS,
        SearchConfig,
    )
    from textops.search._report import SearchReport
    from textops.search._run import run_search
    from textops.search._scores import CVEstimate

__all__ = [
    "DEFAULT_EMBEDDERS",
    "DEFAULT_HEADS",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TRIALS",
    "FEW_LABEL_HEADS",
    "TIMED_HEADS",
    "CVEstimate",
    "SearchConfig",
    "SearchReport",
    "run_search",
]
__getattr__, __dir__ = _lazy_names(
    __name__,
    {
        "CVEstimate": "_scores",
        "DEFAULT_EMBEDDERS": "_config",
        "DEFAULT_HEADS": "_config",
        "DEFAULT_TIMEOUT": "_config",
        "DEFAULT_TRIALS": "_config",
        "FEW_LABEL_HEADS": "_config",
        "TIMED_HEADS": "_config",
        "SearchConfig": "_config",
        "SearchReport": "_report",
        "run_search": "_run",
    },
    globals(),
)


class _CallableSearch(_types.ModuleType):
    """``textops.search(config, **kw)`` is ``textops.search.run_search(config, **kw)``: the
    stage is a package and the verb of the public API, one name for both."""

    def __call__(self, config: SearchConfig, **kwargs: object) -> SearchReport:
        from textops.search._run import run_search

        return run_search(config, **kwargs)  # type: ignore[arg-type]


_sys.modules[__name__].__class__ = _CallableSearch
