"""Model URIs a SQLite store resolved before, remembered beside it while it is unchanged.

A one-text ``textops predict models:/NAME@champion`` spent half its time importing MLflow
and its SQLAlchemy store only to learn which folder the alias names (bench/predict_cli.py).
Every change to the registry (a new version, a moved alias, a deleted model) writes the
database file or its journal, so while neither has changed since a URI was resolved, the
answer is the same: the folder is read from ``.<db>.textops-resolved.json`` without MLflow.

Only folders inside a local artifact store are remembered (a download into a temporary
folder may be gone by the next call), only once the store has been still for a moment (two
writes inside one timestamp tick must not look like one), and a memo that is damaged, names
a folder that is gone or was written for another store is ignored: the URI is resolved again.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path

from textops._util import atomic_write_json, read_json_object
from textops.track._store import sqlite_path

__all__ = ["StoreStamp", "recall", "remember", "store_stamp"]

#: seconds a store must have been unchanged before a resolution against it is remembered
_STILL_S = 2.0
_KEEP = 64  # URIs remembered per store: the most recent ones


@dataclass(frozen=True)
class StoreStamp:
    """The store's files as they were when a URI was resolved: (size, mtime_ns) of the
    database, its write-ahead log and its rollback journal (absent: (-1, -1))."""

    files: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, db: Path) -> StoreStamp:
        out = []
        for suffix in ("", "-wal", "-journal"):
            try:
                st = db.with_name(db.name + suffix).stat()
                out.append((st.st_size, st.st_mtime_ns))
            except OSError:
                out.append((-1, -1))
        return cls(tuple(out))

    def still(self, now_ns: int) -> bool:
        newest = max(mtime for _, mtime in self.files)
        return now_ns - newest > _STILL_S * 1e9

    def as_json(self) -> list[list[int]]:
        return [list(f) for f in self.files]


def _memo(db: Path) -> Path:
    return db.with_name(f".{db.name}.textops-resolved.json")


def _read(db: Path) -> dict[str, object]:
    body = read_json_object(_memo(db))
    entries = body.get("uris") if body.get("store") == str(db) else None
    return entries if isinstance(entries, dict) else {}


def recall(uri: str, tracking_uri: str) -> Path | None:
    """The model folder ``uri`` resolved to, if the store has not changed since; else None."""
    db = sqlite_path(tracking_uri)
    if db is None:
        return None
    entry = _read(db).get(uri)
    if not isinstance(entry, dict):
        return None
    if entry.get("stamp") != StoreStamp.of(db).as_json():
        return None
    folder = entry.get("folder")
    if not isinstance(folder, str) or not (Path(folder) / "MLmodel").is_file():
        return None
    return Path(folder)


def store_stamp(tracking_uri: str) -> StoreStamp | None:
    """The store's stamp now (None: not a SQLite store, nothing is remembered)."""
    db = sqlite_path(tracking_uri)
    return None if db is None else StoreStamp.of(db)


def _in_place(source: str, folder: Path) -> bool:
    """Whether MLflow handed back the artifact store's own folder (a local store), not a
    downloaded copy that may be deleted before the next call."""
    path = source.removeprefix("file://") if source.startswith("file:///") else source
    try:
        return Path(path).resolve() == folder.resolve()
    except (OSError, ValueError):
        return False


def remember(uri: str, tracking_uri: str, stamp: StoreStamp, source: str, folder: Path) -> None:
    """Remember that ``uri`` (resolved to the artifact ``source``) named ``folder`` while the
    store looked like ``stamp`` (taken before resolving: a write during the resolution changes
    the stamp and voids the memo). Only a folder of a local artifact store is remembered.
    Best effort: a read-only home just resolves every time."""
    db = sqlite_path(tracking_uri)
    if db is None or not _in_place(source, folder):
        return
    if not stamp.still(time.time_ns()) or StoreStamp.of(db) != stamp:
        return
    entries = {k: v for k, v in _read(db).items() if k != uri}
    entries[uri] = {"stamp": stamp.as_json(), "folder": str(folder.absolute())}
    kept = dict(list(entries.items())[-_KEEP:])  # in insertion order: the oldest go first
    with contextlib.suppress(OSError):
        atomic_write_json(_memo(db), {"store": str(db), "uris": kept}, sort_keys=False)
