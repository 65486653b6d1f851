"""The registry's file, guarded: a SQLite store that a home had is never silently replaced.

Connecting to ``sqlite:///path`` creates an empty database when the file is not there. After
``mv mlflow.db elsewhere`` that turned every later command into one on an empty registry (no
champion: a search would register version 1 again), and a process still holding the moved
file wrote beside a new one. So the first time textops opens a SQLite store it records it (a
marker file next to it); from then on, a missing store is an error that says where it was and
what to do, and a running service that sees its store vanish stops reporting ready.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from textops.errors import RegistryError

__all__ = ["StoreFile", "checked_store", "sqlite_path"]


def sqlite_path(uri: str) -> Path | None:
    """The file of a ``sqlite:///`` tracking URI (None for any other store)."""
    if not uri.startswith("sqlite:///"):
        return None
    rest = uri.removeprefix("sqlite:///").split("?", 1)[0]
    if not rest or rest == ":memory:":
        return None
    return Path(rest).absolute()


def _marker(path: Path) -> Path:
    return path.with_name(f".{path.name}.textops")


def checked_store(uri: str) -> str:
    """``uri``, once it is safe to connect to: a SQLite store that exists is recorded; one
    that was recorded and is gone is a RegistryError (nothing creates an empty one in its
    place); a new one is created and recorded."""
    path = sqlite_path(uri)
    if path is None:
        return uri
    marker = _marker(path)
    if path.exists():
        if not marker.exists():
            _record(path, marker)
        return uri
    if marker.exists():
        raise RegistryError(_gone(path, marker))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()  # an empty SQLite database: MLflow makes its tables on first use
    _record(path, marker)
    return uri


def _record(path: Path, marker: Path) -> None:
    body = {"store": str(path), "recorded": time.strftime("%Y-%m-%d %H:%M:%S")}
    tmp = marker.with_name(f"{marker.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(body) + "\n", "utf-8")
        tmp.replace(marker)
    except OSError:  # a read-only home: the guard is best effort there
        tmp.unlink(missing_ok=True)


def _gone(path: Path, marker: Path) -> str:
    try:
        since = json.loads(marker.read_text("utf-8")).get("recorded", "?")
    except (OSError, ValueError):
        since = "?"
    return (
        f"the model registry {path} is gone: this home has had one since {since}, and it was "
        "moved or deleted. Nothing was created in its place (an empty registry would hide "
        "every model). Put it back, or point --tracking-uri (or MLFLOW_TRACKING_URI) at "
        f"sqlite:///NEW/PATH where it is now; to start over with an empty registry, delete "
        f"{marker}"
    )


@dataclass(frozen=True)
class StoreFile:
    """The identity of a SQLite store's file when a service opened it: a service notices
    the file moved, deleted or replaced (and stops reporting ready) instead of connecting to
    a new empty file by that name."""

    path: Path | None
    device: int = 0
    inode: int = 0

    @classmethod
    def of(cls, uri: str) -> StoreFile:
        path = sqlite_path(uri)
        if path is None:
            return cls(None)
        try:
            st = path.stat()
        except OSError:
            return cls(path)
        return cls(path, st.st_dev, st.st_ino)

    def problem(self) -> str | None:
        """Why the store cannot be used now (None: it is where it was)."""
        if self.path is None:
            return None
        try:
            st = self.path.stat()
        except OSError:
            return _gone(self.path, _marker(self.path))
        if self.inode and (st.st_dev, st.st_ino) != (self.device, self.inode):
            return (
                f"the model registry {self.path} was replaced by another file while this "
                "service ran; restart the service to use the new one"
            )
        return None
