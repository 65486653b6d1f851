"""Where each cached text key lives: a sorted index per shard, searched for a whole batch.

A Python dict of every key, built entry by entry when a process first reads a space, and
one dict lookup per text made a warm read of 5k cached vectors cost 6 ms of index work
beside a 0.5 ms ``np.load`` of the same array (bench/embed_cache.py), and scales with the
space. Each shard's keys are sha256 digests: their first 8 bytes, sorted, are searched for
a batch at once with ``np.searchsorted``, and a match counts only when all 32 bytes agree
(a shared prefix of two different digests, about 2**-64 per pair, is then a miss, recomputed,
never a wrong vector). Shards are searched in load order: the first that holds a key wins.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["KeyIndex", "as_key_array"]

KEY_BYTES = 32


def as_key_array(keys: Sequence[bytes]) -> np.ndarray:
    """``keys`` (32-byte digests) as an (n, 32) uint8 array."""
    if keys and set(map(len, keys)) != {KEY_BYTES}:
        raise ValueError("cache keys are 32-byte sha256 digests")
    return np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), KEY_BYTES)


def _prefixes(keys: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(keys[:, :8]).view(np.uint64).ravel()


class KeyIndex:
    """The keys of a space's shards, in the order the shards were added."""

    def __init__(self) -> None:
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # prefix, row, keys

    def add(self, keys: np.ndarray) -> None:
        prefix = _prefixes(keys)
        order = np.argsort(prefix, kind="stable")
        self._parts.append((prefix[order], order, keys))

    def locate(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each row of ``query`` (n, 32): the shard holding it (-1: none) and its row there."""
        n = len(query)
        shard = np.full(n, -1, dtype=np.int64)
        row = np.zeros(n, dtype=np.int64)
        wanted = _prefixes(query) if n else np.zeros(0, np.uint64)
        for s, (prefix, order, keys) in enumerate(self._parts):
            todo = np.flatnonzero(shard < 0)
            if not len(todo):
                break
            if not len(prefix):  # an empty shard
                continue
            pos = np.minimum(np.searchsorted(prefix, wanted[todo]), len(prefix) - 1)
            same = prefix[pos] == wanted[todo]
            cand, rows = todo[same], order[pos[same]]
            full = (keys[rows] == query[cand]).all(axis=1)
            shard[cand[full]] = s
            row[cand[full]] = rows[full]
        return shard, row

    def unique(self) -> np.ndarray:
        """Every key held, once each, as an (n, 32) array: first occurrences, shards in the
        order they were added."""
        if not self._parts:
            return np.zeros((0, KEY_BYTES), np.uint8)
        keys = np.ascontiguousarray(np.concatenate([k for _, _, k in self._parts]))
        _, first = np.unique(keys.view(f"V{KEY_BYTES}").ravel(), return_index=True)
        return keys[np.sort(first)]
