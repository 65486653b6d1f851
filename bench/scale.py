"""Dask embedding: MiniLM on 1 vs 2 local workers (one thread each) on this 2-core machine,
vectors checked equal; then a simulation of hosts past this one.

Part 1 is measured: each run starts a LocalCluster on 127.0.0.1, warms every worker (the model
loaded), then times `fill_cache_on_cluster` on texts the run's fresh cache has never seen.

Part 2 is a SIMULATION, said plainly: this machine has 2 cores, so more workers cannot be
measured doing real work here. Each partition instead costs a fixed sleep (standing for a
partition encoded on a host of its own) on top of a cheap embedding, and the throughput of 1,
2, 4 and 8 workers shows what the scheduler, the partitioning and the shared cache add when
the work per partition is spread over hosts.

Usage: python bench/scale.py [--texts 6000] [--delay 0.5]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _texts(n: int) -> list[str]:
    from textops.data import builtin_source

    out: list[str] = []
    for key in ("trec", "sms_spam", "movie_reviews"):
        for chunk in builtin_source(key).chunks(5000):
            out += [r.text for r in chunk if r.text]
    return list(dict.fromkeys(out))[:n]


def _warm(client, key: str) -> None:  # type: ignore[no-untyped-def]
    from textops.embed._cluster import _encode_partition

    with tempfile.TemporaryDirectory() as tmp:
        client.run(_encode_partition, key, {}, ["warm up"], None, tmp)


def _timed(workers: int, key: str, texts: list[str]) -> tuple[float, np.ndarray]:
    from textops.embed import (
        EmbeddingCache,
        cluster_client,
        encode_texts,
        fill_cache_on_cluster,
        make_embedder,
    )

    with tempfile.TemporaryDirectory() as tmp, cluster_client(f"local:{workers}") as client:
        _warm(client, key)
        cache = EmbeddingCache(Path(tmp))
        t0 = time.perf_counter()
        run = fill_cache_on_cluster(
            key, {}, texts, cache, client, partition_rows=256, show_progress=False
        )
        took = time.perf_counter() - t0
        assert run.encoded == len(texts)
        vectors = encode_texts(make_embedder(key), texts, cache, show_progress=False)
        assert vectors.misses == 0
        return took, np.asarray(vectors.vectors)


def _simulated(workers: int, texts: list[str], delay: float) -> float:
    from textops.embed import EmbeddingCache, cluster_client
    from textops.embed._cluster import _encode_partition

    def slow_partition(key, params, part, keys, root):  # type: ignore[no-untyped-def]
        time.sleep(delay)  # a partition encoded on a host of its own (simulated)
        return _encode_partition(key, params, part, keys, root)

    with tempfile.TemporaryDirectory() as tmp, cluster_client(f"local:{workers}") as client:
        _warm(client, "fake")
        parts = [texts[i : i + 64] for i in range(0, len(texts), 64)]
        t0 = time.perf_counter()
        futures = [
            client.submit(slow_partition, "fake", {}, p, None, str(Path(tmp)), pure=False)
            for p in parts
        ]
        assert sum(f.result() for f in futures) == len(texts)
        _ = EmbeddingCache(Path(tmp))
        return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=int, default=6000)
    ap.add_argument("--delay", type=float, default=0.5, help="simulated seconds per partition")
    ap.add_argument("--embedder", default="minilm")
    args = ap.parse_args()
    texts = _texts(args.texts)
    one, v1 = _timed(1, args.embedder, texts)
    two, v2 = _timed(2, args.embedder, texts)
    np.testing.assert_allclose(v1, v2, rtol=0, atol=1e-5)
    same = bool(np.array_equal(v1, v2))
    print(f"{args.embedder}, {len(texts):,} texts, partitions of 256, workers of 1 thread")
    print(f"1 worker:  {one:6.1f} s  {len(texts) / one:7.1f} texts/s")
    print(f"2 workers: {two:6.1f} s  {len(texts) / two:7.1f} texts/s")
    print(
        f"2 workers / 1 worker = {one / two:.2f}x  (target >= 1.6x); vectors "
        f"{'identical' if same else 'equal to 1e-5'}"
    )
    print(f"\nSIMULATION: {args.delay:g} s per 64-text partition standing for a remote host")
    base = None
    sample = texts[:2048]
    for w in (1, 2, 4, 8):
        took = _simulated(w, sample, args.delay)
        base = base or took
        print(f"{w} workers: {took:6.1f} s  speed-up {base / took:.2f}x (ideal {w}x)")


if __name__ == "__main__":
    main()
