"""The content-addressed embedding cache.

``<home>/cache/embeddings/<space>/`` holds one *space* per embedder identity (backend, model
weights hash, options, numeric library versions; see :meth:`Embedder.identity`). Inside a space,
vectors are keyed by the sha256 of the text and stored in immutable shards (see ``_shard.py``).

* Batch lookups return the hits and a mask; only misses are encoded.
* Writers never modify a file: each batch of new vectors becomes a new shard, written to a
  temporary name and renamed, so several processes can fill one space at once safely.
* Each shard's checksum is verified when a process first loads it; a damaged shard is reported,
  renamed ``*.damaged`` and its entries become misses (recomputed, never served).
* ``prune`` compacts a space's shards into one and deletes damaged shards, stale temporary files
  and, optionally, spaces unused for a number of days.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from textops._home import home_dir
from textops._types import JSON
from textops._util import atomic_write_json
from textops.embed._base import Embedder
from textops.embed._cache_stats import CacheStats, PruneReport, SpaceStats
from textops.embed._key_index import KeyIndex, as_key_array
from textops.embed._rates import EncodeRate, EncodeRates
from textops.embed._shard import SHARD_SUFFIX, DamagedShardError, Shard, read_shard, write_shard

__all__ = ["CacheLookup", "CacheSpace", "EmbeddingCache", "space_id"]

log = logging.getLogger("textops.cache")
DAMAGED_SUFFIX = ".damaged"
_STALE_TMP_SECONDS = 3600


def space_id(identity: JSON) -> str:
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[
        :32
    ]


@dataclass(frozen=True)
class CacheLookup:
    """An embedder's cache space, which texts it holds (a mask) and the encode rate remembered
    for it on this machine (None: never measured here)."""

    space: str
    found: np.ndarray
    remembered: EncodeRate | None


@dataclass
class CacheSpace:
    """All cached vectors of one embedder identity."""

    path: Path
    _shards: list[Shard] = field(default_factory=list, repr=False)
    _loaded: set[str] = field(default_factory=set, repr=False)
    _index: KeyIndex = field(default_factory=KeyIndex, repr=False)
    damaged: list[str] = field(default_factory=list)
    #: a search's trial threads share one space: a shard and its keys are added together, or
    #: the index would name one thread's shard by the position of another's (wrong vectors)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @property
    def id(self) -> str:
        return self.path.name

    @property
    def meta(self) -> JSON:
        result: JSON = json.loads((self.path / "space.json").read_text("utf-8"))
        return result

    # -- loading ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Load shards written since the last look (by this or another process)."""
        with self._lock:
            self._refresh()

    def _refresh(self) -> None:
        try:
            names = sorted(e.name for e in os.scandir(self.path) if e.name.endswith(SHARD_SUFFIX))
        except FileNotFoundError:
            return
        for name in names:
            if name in self._loaded:
                continue
            path = self.path / name
            try:
                shard = read_shard(path)
            except FileNotFoundError:  # compacted away by a concurrent prune
                continue
            except DamagedShardError as exc:
                self._set_aside(path, str(exc))
                continue
            self._add(shard)
            self._loaded.add(name)

    def _set_aside(self, path: Path, why: str) -> None:
        log.warning(
            "damaged embedding-cache shard in space %s: %s; it is set aside and its "
            "entries will be recomputed",
            self.id,
            why,
        )
        self.damaged.append(why)
        with contextlib.suppress(FileNotFoundError):
            path.rename(path.with_name(path.name + DAMAGED_SUFFIX))

    def _add(self, shard: Shard) -> None:
        with self._lock:
            self._shards.append(shard)
            self._index.add(shard.keys)

    def stored_keys(self) -> list[bytes]:
        """Every key the space holds, once each (shards in load order)."""
        self.refresh()
        return [row.tobytes() for row in self._index.unique()]

    def __len__(self) -> int:
        self.refresh()
        return len(self._index.unique())

    # -- lookups and writes ----------------------------------------------------------------
    def get(self, keys: Sequence[bytes]) -> tuple[np.ndarray | None, np.ndarray]:
        """Vectors for ``keys`` (rows of misses are zero) and a boolean hit mask."""
        self.refresh()
        n = len(keys)
        with self._lock:
            shards = list(self._shards)
            shard, row = self._index.locate(as_key_array(keys))
        if not shards:
            return None, np.zeros(n, dtype=bool)
        out = np.zeros((n, shards[0].vectors.shape[1]), dtype=np.float32)
        for s in np.unique(shard[shard >= 0]).tolist():
            dst = np.flatnonzero(shard == s)
            out[dst] = shards[s].vectors[row[dst]]
        with contextlib.suppress(OSError):
            os.utime(self.path)  # last use, for `prune --older-than`
        return out, shard >= 0

    def contains(self, keys: Sequence[bytes]) -> np.ndarray:
        """Which of ``keys`` the space holds (a boolean mask; no vector is read)."""
        self.refresh()
        return self._index.locate(as_key_array(keys))[0] >= 0

    def put(self, keys: Sequence[bytes], vectors: np.ndarray) -> int:
        """Store new vectors as one shard; keys already present are skipped. Returns rows written."""
        with self._lock:
            return self._put(keys, vectors)

    def _put(self, keys: Sequence[bytes], vectors: np.ndarray) -> int:
        self._refresh()
        held, _ = self._index.locate(as_key_array(keys))
        uniq: dict[bytes, int] = {}
        for i in np.flatnonzero(held < 0).tolist():
            uniq.setdefault(keys[i], i)
        if not uniq:
            return 0
        rows = list(uniq.values())
        path = write_shard(self.path, list(uniq), np.asarray(vectors)[rows])
        self._add(read_shard(path, verify=False))
        self._loaded.add(path.name)
        return len(rows)

    def append(self, keys: Sequence[bytes], vectors: np.ndarray) -> Path:
        """Write one shard without reading the space's others: for a writer that knows its
        keys are missing (a cluster worker, handed the misses by the caller). A key another
        writer stored meanwhile is then held twice, harmlessly (the same vector)."""
        return write_shard(self.path, list(keys), np.asarray(vectors))

    # -- maintenance -----------------------------------------------------------------------
    def stats(self) -> SpaceStats:
        self.refresh()
        files = [p for p in self.path.iterdir() if p.is_file()]
        meta = self.meta
        ident = meta.get("identity", {})
        params = meta.get("params")
        return SpaceStats(
            space=self.id,
            backend=ident.get("backend"),
            params=params if isinstance(params, dict) else {},
            model=ident.get("model"),
            dim=int(self._shards[0].vectors.shape[1]) if self._shards else None,
            entries=len(self),
            shards=len(self._shards),
            damaged_shards=sum(p.name.endswith(DAMAGED_SUFFIX) for p in files),
            bytes=sum(p.stat().st_size for p in files),
            last_used=self.path.stat().st_mtime,
        )

    def compact(self) -> int:
        """Merge all shards into one (dropping duplicate keys); returns shards removed."""
        from filelock import FileLock

        with FileLock(str(self.path / ".compact.lock"), timeout=600), self._lock:
            self._shards, self._loaded, self._index = [], set(), KeyIndex()
            self.refresh()
            if len(self._shards) <= 1:
                return 0
            keys = self.stored_keys()
            vectors, found = self.get(keys)
            assert vectors is not None and found.all()
            old = [s.path for s in self._shards]
            new = write_shard(self.path, keys, vectors)
            for p in old:
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()
            self._shards, self._loaded, self._index = [], set(), KeyIndex()
            self._add(read_shard(new))
            self._loaded.add(new.name)
            return len(old)


class EmbeddingCache:
    """The cache root: one :class:`CacheSpace` per embedder identity."""

    def __init__(self, root: str | Path | None = None, *, home: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else home_dir(home) / "cache" / "embeddings"
        self._spaces: dict[str, CacheSpace] = {}

    def space_for(self, embedder: Embedder) -> CacheSpace:
        if not embedder.cacheable:
            raise ValueError(f"{type(embedder).__name__} output is not cacheable")
        identity = embedder.identity()
        sid = space_id(identity)
        space = self._spaces.get(sid)
        if space is None:
            path = self.root / sid
            path.mkdir(parents=True, exist_ok=True)
            if not (path / "space.json").is_file():
                atomic_write_json(
                    path / "space.json",
                    {
                        "identity": identity,
                        "params": embedder.get_params(),
                        "created": time.time(),
                    },
                )
            space = self._spaces[sid] = CacheSpace(path)
        return space

    def lookup(self, embedder: Embedder, keys: Sequence[bytes]) -> CacheLookup:
        """What the cache holds for ``embedder`` and the texts of ``keys``: one question a
        search's planner asks per embedder."""
        space = self.space_for(embedder)
        return CacheLookup(space.id, space.contains(keys), self.rates.get(space.id))

    @property
    def rates(self) -> EncodeRates:
        """Encode rates measured on this machine, per space (see :class:`EncodeRates`)."""
        return EncodeRates(self.root)

    def spaces(self) -> list[CacheSpace]:
        if not self.root.is_dir():
            return []
        found = []
        for p in sorted(self.root.iterdir()):
            if (p / "space.json").is_file():
                found.append(self._spaces.setdefault(p.name, CacheSpace(p)))
        return found

    def stats(self) -> CacheStats:
        return CacheStats(str(self.root), [s.stats() for s in self.spaces()])

    def prune(self, *, older_than_days: float | None = None, compact: bool = True) -> PruneReport:
        """Delete damaged shards and stale temp files, drop unused spaces, compact the rest."""
        report = PruneReport()
        now = time.time()
        for space in self.spaces():
            files = [p for p in space.path.iterdir() if p.is_file()]
            report.bytes_before += sum(p.stat().st_size for p in files)
            if (
                older_than_days is not None
                and now - space.path.stat().st_mtime > older_than_days * 86400
            ):
                shutil.rmtree(space.path, ignore_errors=True)
                self._spaces.pop(space.id, None)
                report.removed_spaces.append(space.id)
                continue
            for p in files:
                if p.name.endswith(DAMAGED_SUFFIX):
                    p.unlink(missing_ok=True)
                    report.removed_damaged += 1
                elif p.name.endswith(".tmp") and now - p.stat().st_mtime > _STALE_TMP_SECONDS:
                    p.unlink(missing_ok=True)
                    report.removed_tmp += 1
            if compact:
                report.compacted_shards += space.compact()
            report.bytes_after += sum(p.stat().st_size for p in space.path.iterdir() if p.is_file())
        return report
