"""Cold MiniLM encode vs warm cache read on >= 5k texts of a built-in dataset.

Prints texts/s for both, the speed-up ratio (warm / cold, measured in this run) and the bytes per
embedding on disk. The warm read starts from a fresh cache object with the in-process model-hash
memo cleared, so it pays what a new process pays: reading the model files' sizes and times (and
the memo of their hash), reading and checksumming the shards, building the index; a read with
the memo on disk deleted too pays for hashing the model's files as after an upgrade. The limit
is ``np.load`` of the same array saved as one ``.npy`` file on the same disk.
Usage: python bench/embed_cache.py [--dataset trec] [--embedder minilm]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    from textops.data import builtin_source, ingest
    from textops.embed import EmbeddingCache, _base, _model_hash, encode_texts, make_embedder

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dataset", default="trec")
    ap.add_argument("--embedder", default="minilm")
    ap.add_argument("--repeats", type=int, default=5, help="warm reads (best is reported)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        os.environ["TEXTOPS_HOME"] = tmp  # the model-hash memo too
        ds = ingest([builtin_source(args.dataset)], args.dataset, home=home)
        table = ds.table(["text", "text_sha256"])
        texts = [str(t) for t in table["text"].to_pylist()]
        keys = table["text_sha256"].to_pylist()
        assert len(texts) >= 5000, "the benchmark wants at least 5k texts"

        emb = make_embedder(args.embedder)
        t0 = time.perf_counter()
        emb.fit([])  # model load, reported separately
        load_s = time.perf_counter() - t0

        cache_root = home / "cache"
        cold = encode_texts(emb, texts, EmbeddingCache(cache_root), keys=keys, show_progress=False)
        warm_s, rehash_s = [], []
        for _ in range(args.repeats):
            for forget_hash, times in ((True, rehash_s), (False, warm_s)):
                _model_hash._MEMO.clear()
                _base._version.cache_clear()
                if forget_hash:
                    _model_hash._memo_file().unlink()
                fresh = make_embedder(args.embedder)  # never loaded: a hit needs no model
                warm = encode_texts(
                    fresh, texts, EmbeddingCache(cache_root), keys=keys, show_progress=False
                )
                assert warm.hits == len(texts) and not hasattr(fresh, "model_")
                times.append(warm.seconds)
        stats = EmbeddingCache(cache_root).stats()
        # the limit: the same array as one .npy file on the same disk, read by np.load
        npy = home / "vectors.npy"
        np.save(npy, cold.vectors)
        npy_s = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            loaded = np.load(npy)
            npy_s.append(time.perf_counter() - t0)
        assert np.array_equal(loaded, warm.vectors)

    n = len(texts)
    best = min(warm_s)
    result = {
        "dataset": args.dataset,
        "embedder": args.embedder,
        "texts": n,
        "threads": _threads(),
        "model_load_s": round(load_s, 2),
        "cold_s": round(cold.seconds, 2),
        "cold_texts_per_s": round(n / cold.seconds, 1),
        "warm_s": round(best, 4),
        "warm_texts_per_s": round(n / best),
        "speedup_warm_vs_cold": round(cold.seconds / best, 1),
        "warm_model_rehashed_s": round(min(rehash_s), 4),
        "np_load_s": round(min(npy_s), 4),
        "np_load_texts_per_s": round(n / min(npy_s)),
        "warm_vs_np_load": round(min(npy_s) / best, 3),
        "bytes_per_embedding": stats.bytes_per_embedding,
        "dim": int(cold.vectors.shape[1]),
    }
    print(f"{n:,} {args.dataset} texts, {args.embedder} on {result['threads']} threads")
    print(
        f"  cold encode : {result['cold_texts_per_s']:>10,.1f} texts/s ({cold.seconds:.1f}s, "
        f"+{load_s:.1f}s model load)"
    )
    print(f"  warm cache  : {result['warm_texts_per_s']:>10,} texts/s ({best * 1000:.0f} ms)")
    print(f"  speed-up    : {result['speedup_warm_vs_cold']:,.0f}x (target >= 50x)")
    print(f"  warm, model files hashed again: {min(rehash_s) * 1000:.0f} ms")
    print(
        f"  np.load     : {result['np_load_texts_per_s']:>10,} texts/s ({min(npy_s) * 1000:.1f} ms"
        f" for the same array as one .npy): warm read {result['warm_vs_np_load']}x of it "
        "(target >= 0.5x)"
    )
    print(
        f"  on disk     : {result['bytes_per_embedding']} bytes per embedding "
        f"(dim {result['dim']} float32 = {result['dim'] * 4} + 32-byte key)"
    )
    print(json.dumps(result))


def _threads() -> int:
    try:
        import torch

        return int(torch.get_num_threads())
    except ImportError:  # pragma: no cover
        return os.cpu_count() or 1


if __name__ == "__main__":
    main()
