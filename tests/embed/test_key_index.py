"""The batch key index of a cache space: the same answers as a dict of every key."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from textops.embed._key_index import KeyIndex, as_key_array


def _keys(*texts: str) -> list[bytes]:
    return [hashlib.sha256(t.encode()).digest() for t in texts]


def test_a_batch_is_located_as_a_dict_of_every_key_would() -> None:
    shards = [_keys(*(f"s{s}-{i}" for i in range(50))) for s in range(4)]
    shards[2] += shards[0][:10]  # a key held twice: the first shard holding it wins
    index, reference = KeyIndex(), {}
    for s, keys in enumerate(shards):
        index.add(as_key_array(keys))
        for r, k in enumerate(keys):
            reference.setdefault(k, (s, r))
    query = [k for keys in shards for k in keys[::3]] + _keys("absent-1", "absent-2")
    rng = np.random.default_rng(0)
    query = [query[i] for i in rng.permutation(len(query))]
    shard, row = index.locate(as_key_array(query))
    got = [(int(s), int(r)) if s >= 0 else None for s, r in zip(shard, row, strict=True)]
    assert got == [reference.get(k) for k in query]


def test_a_key_sharing_only_its_prefix_with_a_stored_one_is_a_miss() -> None:
    stored = _keys("held")[0]
    impostor = stored[:8] + bytes(24)
    index = KeyIndex()
    index.add(as_key_array([stored]))
    shard, _ = index.locate(as_key_array([impostor, stored]))
    assert shard.tolist() == [-1, 0]


def test_empty_shards_and_queries() -> None:
    index = KeyIndex()
    index.add(np.zeros((0, 32), np.uint8))
    index.add(as_key_array(_keys("a")))
    assert index.locate(as_key_array([]))[0].tolist() == []
    assert index.locate(as_key_array(_keys("a", "b")))[0].tolist() == [1, -1]


def test_a_key_that_is_not_a_digest_is_refused() -> None:
    with pytest.raises(ValueError, match="32-byte"):
        as_key_array([b"short"])


def test_the_unique_keys_are_the_first_occurrences_in_shard_order() -> None:
    a, b, c = _keys("a", "b", "c")
    index = KeyIndex()
    index.add(as_key_array([c, a]))
    index.add(as_key_array([a, b, c]))
    assert [row.tobytes() for row in index.unique()] == [c, a, b]
    assert KeyIndex().unique().shape == (0, 32)
