"""Where textops keeps its state: ``.textops/`` in the working directory, or ``$TEXTOPS_HOME``."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["home_dir"]

ENV_VAR = "TEXTOPS_HOME"


def home_dir(home: str | Path | None = None, *, create: bool = True) -> Path:
    """Resolve the state directory: the argument, else ``$TEXTOPS_HOME``, else ``./.textops``."""
    if home is None:
        env = os.environ.get(ENV_VAR)
        home = Path(env) if env else Path.cwd() / ".textops"
    path = Path(home).expanduser().resolve()
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path
