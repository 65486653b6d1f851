from __future__ import annotations

from pathlib import Path

import numpy as np

from textops.data import MemorySource, ingest
from textops.embed import EmbeddingCache, embed_dataset, verify_cache
from textops.embed._fake import HashingFakeEmbedder
from textops.embed._shard import write_shard

ROWS = [(f"some text {i} about {i % 5}", "a" if i % 2 else "b") for i in range(120)]


def _setup(home: Path) -> EmbeddingCache:
    ds = ingest([MemorySource("rows", ROWS)], "d", home=home)
    cache = EmbeddingCache(home=home)
    embed_dataset(ds, HashingFakeEmbedder(), cache=cache)
    return cache


def test_verify_passes_on_a_faithful_cache(home: Path) -> None:
    _setup(home)
    report = verify_cache(home=home, sample=20, seed=1)
    assert report.ok
    (space,) = report.spaces
    assert space.status == "ok" and space.checked == 20
    assert space.max_abs_diff == 0.0 and space.min_cosine is not None and space.min_cosine > 0.9999
    assert report.environment["python"]


def test_verify_fails_when_stored_vectors_drift(home: Path) -> None:
    cache = _setup(home)
    (space,) = cache.spaces()
    (shard,) = space.path.glob("*.shard")
    from textops.embed._shard import read_shard

    old = read_shard(shard)
    keys = [bytes(k) for k in old.keys]
    drifted = np.array(old.vectors) + np.float32(0.01)  # valid checksum, wrong numbers
    shard.unlink()
    write_shard(space.path, keys, drifted)
    report = verify_cache(home=home, sample=200)
    assert not report.ok
    assert report.spaces[0].status == "mismatch"
    diff = report.spaces[0].max_abs_diff
    assert diff is not None and diff > 0.009


def test_verify_skips_spaces_without_known_texts(home: Path) -> None:
    from textops.embed import encode_texts

    encode_texts(HashingFakeEmbedder(), ["not in any dataset"], EmbeddingCache(home=home))
    report = verify_cache(home=home)
    assert report.ok and report.spaces[0].status == "skipped"
