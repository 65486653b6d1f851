"""Small helpers shared by every stage: hashing, atomic file writes, terminal detection."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = [
    "atomic_write",
    "atomic_write_json",
    "fsync_dir",
    "is_interactive",
    "quiet_logger",
    "sha256_file",
    "sha256_text",
]


def sha256_text(text: str) -> str:
    """Hex sha256 of a text's UTF-8 bytes (lone surrogates escaped, never an error)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable (no-op where directories cannot be opened)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_write(path: Path, mode: str = "wb") -> Iterator[IO[Any]]:
    """Write to a temporary file next to ``path`` and rename it into place only on success.

    Readers see either the old file or the complete new one, never a partial write; two writers
    racing on the same path each produce a complete file and the last rename wins.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(path)
        fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise


def atomic_write_json(path: Path, obj: object, *, sort_keys: bool = True) -> None:
    """``obj`` as JSON at ``path``, atomically (``sort_keys=False`` keeps insertion order: a
    memo that drops its oldest entries by it)."""
    with atomic_write(path, "w") as fh:
        json.dump(obj, fh, indent=2, sort_keys=sort_keys, default=str)
        fh.write("\n")


def read_json_object(path: Path) -> dict[str, object]:
    """The JSON object at ``path``; {} when the file is missing, unreadable, damaged or holds
    another JSON value (a memo rebuilt from scratch rather than trusted)."""
    try:
        body = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def is_interactive(stream: IO[str] | None = None) -> bool:
    """True when progress bars make sense: the stream is a terminal and CI is not set."""
    stream = stream if stream is not None else sys.stderr
    if os.environ.get("CI") or os.environ.get("TEXTOPS_NO_PROGRESS"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


@contextlib.contextmanager
def quiet_logger(name: str) -> Iterator[None]:
    """Logger ``name`` ("": the root) says nothing below ERROR inside the block: for records
    the caller prints itself, or a library's hint no user can act on."""
    logger = logging.getLogger(name)
    before = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(before)
