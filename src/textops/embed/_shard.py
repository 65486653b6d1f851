"""One immutable cache shard: a single file holding text keys and their float32 vectors.

Layout (all offsets 64-byte aligned so the arrays can be memory-mapped)::

    b"TXOPSHD1" | uint32 header length | JSON header | pad | keys (n x 32 bytes) | pad | vectors

The header records ``n``, ``dim``, the offsets and the sha256 of keys + vectors. A shard is
written to a temporary file and renamed into place, so readers only ever see complete shards;
one that fails its checksum (truncated, bit-flipped) raises :class:`DamagedShardError`.
"""

from __future__ import annotations

import hashlib
import json
import struct
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from textops._util import atomic_write

__all__ = ["SHARD_SUFFIX", "DamagedShardError", "Shard", "read_shard", "write_shard"]

MAGIC = b"TXOPSHD1"
SHARD_SUFFIX = ".shard"
_ALIGN = 64
KEY_BYTES = 32


class DamagedShardError(Exception):
    """A shard that must not be served: bad magic, truncated, or a checksum mismatch."""


def _align(n: int) -> int:
    return (n + _ALIGN - 1) // _ALIGN * _ALIGN


@dataclass(frozen=True)
class Shard:
    path: Path
    keys: np.ndarray  # (n, 32) uint8, memory-mapped
    vectors: np.ndarray  # (n, dim) float32, memory-mapped

    @property
    def n(self) -> int:
        return int(self.keys.shape[0])


def write_shard(directory: Path, keys: list[bytes], vectors: np.ndarray) -> Path:
    """Write ``keys`` (32-byte digests) and their ``vectors`` as a new shard; returns its path."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    if len(keys) != n or any(len(k) != KEY_BYTES for k in keys):
        raise ValueError("one 32-byte key per vector is required")
    key_bytes = b"".join(keys)
    vec_bytes = vectors.tobytes()
    checksum = hashlib.sha256(key_bytes + vec_bytes).hexdigest()
    header = {
        "format": 1,
        "n": n,
        "dim": dim,
        "dtype": "float32",
        "sha256": checksum,
        "created": time.time(),
    }
    # offsets depend on the header length, which depends on the offsets: fix a generous size
    probe = json.dumps({**header, "keys_offset": 10**12, "vectors_offset": 10**12}).encode()
    keys_offset = _align(len(MAGIC) + 4 + len(probe) + 16)
    vectors_offset = _align(keys_offset + len(key_bytes))
    header.update(keys_offset=keys_offset, vectors_offset=vectors_offset)
    raw = json.dumps(header).encode()
    path = directory / f"{uuid.uuid4().hex}{SHARD_SUFFIX}"
    with atomic_write(path) as fh:
        fh.write(MAGIC + struct.pack("<I", len(raw)) + raw)
        fh.write(b"\0" * (keys_offset - len(MAGIC) - 4 - len(raw)))
        fh.write(key_bytes)
        fh.write(b"\0" * (vectors_offset - keys_offset - len(key_bytes)))
        fh.write(vec_bytes)
    return path


def read_shard(path: Path, *, verify: bool = True) -> Shard:
    """Memory-map a shard, checking its structure and (by default) its checksum."""
    try:
        with path.open("rb") as fh:
            head = fh.read(len(MAGIC) + 4)
            if len(head) < len(MAGIC) + 4 or head[: len(MAGIC)] != MAGIC:
                raise DamagedShardError(f"{path.name}: not a textops shard (bad magic)")
            (hlen,) = struct.unpack("<I", head[len(MAGIC) :])
            header = json.loads(fh.read(hlen))
        n, dim = int(header["n"]), int(header["dim"])
        ko, vo = int(header["keys_offset"]), int(header["vectors_offset"])
    except (ValueError, KeyError, UnicodeDecodeError, struct.error) as exc:
        raise DamagedShardError(f"{path.name}: unreadable header ({exc})") from exc
    expected = vo + n * dim * 4
    size = path.stat().st_size
    if size != expected:
        raise DamagedShardError(f"{path.name}: {size} bytes on disk, {expected} expected")
    if n == 0:
        return Shard(path, np.zeros((0, KEY_BYTES), np.uint8), np.zeros((0, dim), np.float32))
    mm = np.memmap(path, dtype=np.uint8, mode="r")
    keys = mm[ko : ko + n * KEY_BYTES].reshape(n, KEY_BYTES)
    vectors = mm[vo : vo + n * dim * 4].view(np.float32).reshape(n, dim)
    if verify:
        h = hashlib.sha256()
        h.update(keys.data)
        h.update(vectors.data)
        if h.hexdigest() != header["sha256"]:
            raise DamagedShardError(f"{path.name}: checksum mismatch (the file was altered)")
    return Shard(path, keys, vectors)
