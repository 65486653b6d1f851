"""textops: build, serve and operate text classifiers from one CLI and one Python API.

Stages live in subpackages: :mod:`textops.data` (ingest, validate, version, split) and
:mod:`textops.embed` (embedding backends and the content-addressed cache).
"""

from __future__ import annotations

from textops._home import home_dir
from textops.errors import TextopsError

__version__ = "0.1.0"

__all__ = ["TextopsError", "__version__", "home_dir"]
