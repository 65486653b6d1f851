from __future__ import annotations

import logging
import multiprocessing as mp
from pathlib import Path

import numpy as np
import pytest

from textops.embed import EmbeddingCache, encode_texts, text_keys
from textops.embed import _base as base_mod
from textops.embed._fake import HashingFakeEmbedder
from textops.embed._shard import read_shard, write_shard

TEXTS = [f"message number {i} about topic {i % 7}" for i in range(300)]


@pytest.fixture
def cache(tmp_path: Path) -> EmbeddingCache:
    return EmbeddingCache(tmp_path / "cache")


def test_cache_hit_skips_encoder(cache: EmbeddingCache) -> None:
    first = encode_texts(HashingFakeEmbedder(), TEXTS, cache)
    emb = HashingFakeEmbedder()
    second = encode_texts(emb, TEXTS, cache)
    assert (first.hits, first.misses) == (0, 300)
    assert (second.hits, second.misses) == (300, 0)
    assert getattr(emb, "n_encoded_", 0) == 0
    np.testing.assert_array_equal(first.vectors, second.vectors)


def test_only_misses_are_encoded(cache: EmbeddingCache) -> None:
    encode_texts(HashingFakeEmbedder(), TEXTS[:200], cache)
    emb = HashingFakeEmbedder()
    res = encode_texts(emb, TEXTS, cache)
    assert (res.hits, res.misses, emb.n_encoded_) == (200, 100, 100)
    np.testing.assert_allclose(res.vectors, HashingFakeEmbedder().transform(TEXTS), atol=0)


def test_repeated_texts_are_encoded_once(cache: EmbeddingCache) -> None:
    emb = HashingFakeEmbedder()
    res = encode_texts(emb, ["same", "same", "other", "same"], cache)
    assert emb.n_encoded_ == 2
    np.testing.assert_array_equal(res.vectors[0], res.vectors[3])


def test_key_changes_when_an_option_changes(cache: EmbeddingCache) -> None:
    encode_texts(HashingFakeEmbedder(seed=0), TEXTS, cache)
    assert encode_texts(HashingFakeEmbedder(seed=1), TEXTS, cache).hits == 0
    assert encode_texts(HashingFakeEmbedder(dim=16), TEXTS, cache).hits == 0
    assert len(cache.spaces()) == 3


def test_key_changes_when_a_numeric_library_changes(
    cache: EmbeddingCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    encode_texts(HashingFakeEmbedder(), TEXTS, cache)
    real = base_mod.library_versions
    monkeypatch.setattr(
        base_mod, "library_versions", lambda names: {**real(names), "numpy": "0.0.1"}
    )
    assert encode_texts(HashingFakeEmbedder(), TEXTS, cache).hits == 0


def test_key_changes_when_model_weights_change(tmp_path: Path) -> None:
    import shutil

    from textops.embed import SentenceTransformerEmbedder
    from textops.embed._sbert import resolve_model

    folder = tmp_path / "model"
    shutil.copytree(resolve_model("all-MiniLM-L6-v2"), folder)
    before = SentenceTransformerEmbedder(model=str(folder)).identity()
    cfg = folder / "config.json"
    cfg.write_text(cfg.read_text() + "\n")
    after = SentenceTransformerEmbedder(model=str(folder)).identity()
    assert before["model"] != after["model"]
    assert before["options"] == after["options"]


def test_runtime_options_share_the_cache(cache: EmbeddingCache) -> None:
    from textops.embed import SentenceTransformerEmbedder

    a = SentenceTransformerEmbedder(batch_size=8, device="cpu").identity()
    b = SentenceTransformerEmbedder(batch_size=64, device="auto").identity()
    assert a == b


def _corrupt_one_shard(cache: EmbeddingCache) -> Path:
    (space,) = cache.spaces()
    (shard,) = sorted(space.path.glob("*.shard"))
    data = bytearray(shard.read_bytes())
    data[-5] ^= 0xFF  # flip bits inside the vectors
    shard.write_bytes(bytes(data))
    return shard


def test_damaged_shard_is_reported_and_recomputed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    encode_texts(HashingFakeEmbedder(), TEXTS, EmbeddingCache(tmp_path / "c"))
    shard = _corrupt_one_shard(EmbeddingCache(tmp_path / "c"))
    fresh = EmbeddingCache(tmp_path / "c")  # a new process would start like this
    emb = HashingFakeEmbedder()
    with caplog.at_level(logging.WARNING, logger="textops.cache"):
        res = encode_texts(emb, TEXTS, fresh)
    assert "checksum mismatch" in caplog.text
    assert (res.hits, res.misses, emb.n_encoded_) == (0, 300, 300)
    np.testing.assert_array_equal(res.vectors, HashingFakeEmbedder().transform(TEXTS))
    assert not shard.exists() and shard.with_name(shard.name + ".damaged").exists()
    stats = EmbeddingCache(tmp_path / "c").stats()
    assert stats.damaged_shards == 1 and stats.entries == 300
    assert EmbeddingCache(tmp_path / "c").prune().removed_damaged == 1


def test_truncated_shard_is_never_served(tmp_path: Path) -> None:
    encode_texts(HashingFakeEmbedder(), TEXTS, EmbeddingCache(tmp_path / "c"))
    (space,) = EmbeddingCache(tmp_path / "c").spaces()
    (shard,) = space.path.glob("*.shard")
    shard.write_bytes(shard.read_bytes()[:-100])
    res = encode_texts(HashingFakeEmbedder(), TEXTS, EmbeddingCache(tmp_path / "c"))
    assert res.hits == 0


def test_shard_round_trip_and_checksum(tmp_path: Path) -> None:
    vecs = np.arange(12, dtype=np.float32).reshape(3, 4)
    keys = text_keys(["a", "b", "c"])
    shard = read_shard(write_shard(tmp_path, keys, vecs))
    np.testing.assert_array_equal(shard.vectors, vecs)
    assert [bytes(k) for k in shard.keys] == keys


def test_interrupted_encode_keeps_what_was_encoded(cache: EmbeddingCache) -> None:
    class Flaky(HashingFakeEmbedder):
        fail_after = 100

        def _encode(self, texts: list[str]) -> np.ndarray:
            if getattr(self, "n_encoded_", 0) >= self.fail_after:
                raise KeyboardInterrupt
            return super()._encode(texts)

    with pytest.raises(KeyboardInterrupt):
        encode_texts(Flaky(), TEXTS, cache, batch_size=50)
    Flaky.fail_after = 10**9
    again = Flaky()
    res = encode_texts(again, TEXTS, cache)
    assert (res.hits, again.n_encoded_) == (100, 200)


def test_prune_compacts_shards_and_keeps_entries(cache: EmbeddingCache) -> None:
    for lo in range(0, 300, 100):
        encode_texts(HashingFakeEmbedder(), TEXTS[lo : lo + 100], cache)
    (space,) = cache.spaces()
    assert len(list(space.path.glob("*.shard"))) == 3
    report = cache.prune()
    assert report.compacted_shards == 3
    assert len(list(space.path.glob("*.shard"))) == 1
    res = encode_texts(HashingFakeEmbedder(), TEXTS, EmbeddingCache(cache.root))
    assert res.hits == 300


def test_prune_older_than_drops_unused_spaces(cache: EmbeddingCache) -> None:
    encode_texts(HashingFakeEmbedder(), TEXTS, cache)
    assert cache.prune(older_than_days=1).removed_spaces == []
    assert len(cache.prune(older_than_days=0).removed_spaces) == 1
    assert cache.spaces() == []


def _fill(root: str, lo: int, hi: int, barrier: object) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    cache = EmbeddingCache(root)
    for start in range(lo, hi, 25):
        encode_texts(HashingFakeEmbedder(), TEXTS[start : start + 25], cache)


def test_two_processes_filling_the_cache_at_once_corrupt_nothing(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(2)
    root = str(tmp_path / "c")
    # overlapping ranges: both processes write texts 100..199
    procs = [
        ctx.Process(target=_fill, args=(root, 0, 200, barrier)),
        ctx.Process(target=_fill, args=(root, 100, 300, barrier)),
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    cache = EmbeddingCache(root)
    emb = HashingFakeEmbedder()
    res = encode_texts(emb, TEXTS, cache)
    assert (res.hits, getattr(emb, "n_encoded_", 0)) == (300, 0)
    np.testing.assert_array_equal(res.vectors, HashingFakeEmbedder().transform(TEXTS))
    stats = cache.stats()
    assert stats.damaged_shards == 0 and stats.entries == 300
    assert not list(Path(root).rglob("*.tmp"))


def test_threads_storing_at_once_never_misplace_vectors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search's trial threads share a space. One thread is paused between adding its shard
    and indexing its keys (where the scheduler may switch threads) while another stores its
    own: each key must still read back its own vector (the index and the shard list were
    once out of step: an IndexError, or another text's vector)."""
    import threading
    import time

    from textops.embed._cache import CacheSpace
    from textops.embed._key_index import KeyIndex

    space = CacheSpace(tmp_path / "space")
    space.path.mkdir()
    first = threading.Event()
    add = KeyIndex.add

    def slow_add(self: KeyIndex, keys: np.ndarray) -> None:
        if threading.current_thread().name == "a" and not first.is_set():
            first.set()
            time.sleep(0.2)  # thread b runs here
        add(self, keys)

    monkeypatch.setattr(KeyIndex, "add", slow_add)
    data = {n: (text_keys([f"{n}{i}" for i in range(k)]), np.full((k, 4), v, np.float32))
            for n, k, v in (("a", 5, 1.0), ("b", 40, 2.0))}  # fmt: skip

    def store(name: str) -> None:
        space.put(*data[name])

    a = threading.Thread(target=store, args=("a",), name="a")
    a.start()
    first.wait(5)
    b = threading.Thread(target=store, args=("b",), name="b")
    b.start()
    a.join()
    b.join()
    for keys, vectors in data.values():
        got, found = space.get(keys)
        assert found.all() and got is not None and np.array_equal(got, vectors)
