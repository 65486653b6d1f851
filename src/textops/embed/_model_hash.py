"""A model folder's identity: the sha256 of its files, remembered by their sizes and times.

The embedding cache keys every vector on the hash of the weights that made it, so a changed
model never hits old entries. Hashing MiniLM's 90 MB took 55 of the 75 ms a new process spent
reading 5k cached vectors (bench/embed_cache.py), on every run, for files that had not
changed. As ``make`` and git's index do, the digest is remembered with each file's name, size
and modification time, in this process and in a small file beside the caches
(``$TEXTOPS_HOME/cache/`` when set, else ``$XDG_CACHE_HOME/textops/``); any change to a file
rehashes the folder. A damaged memo is ignored and rewritten.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

from textops._util import atomic_write_json, read_json_object

__all__ = ["hash_model_files"]

_SKIP = {"README.md", ".gitattributes"}
_KEEP = 64  # folders remembered on disk: the most recently hashed
_MEMO: dict[str, tuple[str, str]] = {}  # folder -> (signature digest, files' sha256)


def _memo_file() -> Path:
    home = os.environ.get("TEXTOPS_HOME")
    if home:
        return Path(home).expanduser() / "cache" / "model-hashes.json"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "textops" / "model-hashes.json"


def _read_memo(path: Path) -> dict[str, tuple[str, str]]:
    return {
        k: (v[0], v[1])
        for k, v in read_json_object(path).items()
        if isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) for x in v)
    }


def _files(path: Path) -> list[Path]:
    return sorted(
        p
        for p in path.rglob("*")
        if p.is_file() and p.name not in _SKIP and "__pycache__" not in p.parts
    )


def hash_model_files(path: Path) -> str:
    """sha256 over every file of a model folder (names and bytes); remembered while no file's
    name, size or modification time changes."""
    files = _files(path)
    stats = [(str(p.relative_to(path)), p.stat()) for p in files]
    sig = json.dumps([(name, st.st_size, st.st_mtime_ns) for name, st in stats])
    sig_digest = hashlib.sha256(sig.encode()).hexdigest()
    folder = str(path.resolve())
    memo_file = _memo_file()
    if _MEMO.get(folder, ("", ""))[0] != sig_digest:
        _MEMO.update(_read_memo(memo_file))
    known = _MEMO.get(folder)
    if known is not None and known[0] == sig_digest:
        return known[1]
    h = hashlib.sha256()
    for p in files:
        h.update(str(p.relative_to(path)).encode() + b"\0")
        with p.open("rb") as fh:
            while block := fh.read(1 << 20):
                h.update(block)
    _MEMO[folder] = (sig_digest, h.hexdigest())
    _remember(memo_file, folder)
    return _MEMO[folder][1]


def _remember(memo_file: Path, folder: str) -> None:
    """Add ``folder``'s digest to the memo on disk (best effort: a read-only cache directory
    just hashes again in the next process)."""
    on_disk = _read_memo(memo_file)
    on_disk.pop(folder, None)
    on_disk[folder] = _MEMO[folder]
    kept = dict(list(on_disk.items())[-_KEEP:])  # in insertion order: the oldest go first
    with contextlib.suppress(OSError):
        atomic_write_json(memo_file, {k: list(v) for k, v in kept.items()}, sort_keys=False)
