"""textops: build, serve and operate text classifiers from one CLI and one Python API.

The whole loop in a few names::

    import textops

    ds = textops.ingest([textops.FileSource("tickets.csv")], "tickets")
    report = textops.search(textops.SearchConfig(dataset="tickets", timeout=300))
    model = textops.load_model(report.model_uri)   # or "models:/tickets@champion"
    model.predict(["my invoice is wrong"])

Each stage is a subpackage (:mod:`textops.data`, :mod:`textops.embed`, :mod:`textops.model`,
:mod:`textops.track`, :mod:`textops.search`, :mod:`textops.monitor`, :mod:`textops.serve`);
these names load on first use, so ``import textops`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textops._json import to_json
from textops._lazy import lazy_names as _lazy_names
from textops._version import __version__
from textops.errors import TextopsError

if TYPE_CHECKING:
    from textops.data import FileSource, IngestConfig, ingest
    from textops.model import TextClassifier
    from textops.search import SearchConfig, run_search
    from textops.serve import ServeSettings, create_app
    from textops.track import load_model


__all__ = [
    "FileSource",
    "IngestConfig",
    "SearchConfig",
    "ServeSettings",
    "TextClassifier",
    "TextopsError",
    "__version__",
    "create_app",
    "ingest",
    "load_model",
    "run_search",
    "search",
    "to_json",
]

_getattr, __dir__ = _lazy_names(
    "textops",
    {
        "FileSource": "data",
        "IngestConfig": "data",
        "ingest": "data",
        "TextClassifier": "model",
        "SearchConfig": "search",
        "run_search": "search",
        "ServeSettings": "serve",
        "create_app": "serve",
        "load_model": "track",
    },
    globals(),
)


def __getattr__(name: str) -> object:
    if name == "search":
        # the subpackage, which can be called: textops.search(config) runs a search
        import textops.search as search

        return search
    return _getattr(name)
