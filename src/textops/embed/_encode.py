"""Encode texts through the cache: look everything up in one batch, encode only the misses."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from textops._progress import progress
from textops.embed._base import Embedder
from textops.embed._cache import EmbeddingCache

if TYPE_CHECKING:
    from textops.data import Dataset

__all__ = ["EncodeResult", "embed_dataset", "encode_texts", "text_keys"]


@dataclass
class EncodeResult:
    vectors: Any  # float32 ndarray (n, dim), or a sparse matrix for non-cacheable backends
    hits: int
    misses: int
    seconds: float
    space: str | None = None


def text_keys(texts: Sequence[str]) -> list[bytes]:
    return [hashlib.sha256(t.encode("utf-8", "surrogatepass")).digest() for t in texts]


def encode_texts(
    embedder: Embedder,
    texts: Sequence[str],
    cache: EmbeddingCache | None = None,
    *,
    keys: Sequence[bytes] | None = None,
    batch_size: int = 512,
    shard_rows: int = 8192,
    show_progress: bool | None = None,
    description: str = "embed",
) -> EncodeResult:
    """Embed ``texts``; with a cache, hits are read and only misses go through the model.

    Misses are written to the cache every ``shard_rows`` rows and when interrupted, so Ctrl-C
    keeps what was already encoded. Texts that repeat inside ``texts`` are encoded once.
    """
    start = time.perf_counter()
    texts = list(texts)
    if cache is None or not embedder.cacheable:
        if cache is None or not embedder.cached_parts():
            out = _encode_all(embedder, texts, batch_size, show_progress, description)
            return EncodeResult(out, 0, len(texts), time.perf_counter() - start)
        # a hybrid: its cacheable parts' rows through the cache (hits and misses are theirs),
        # the rest computed
        parts: list[EncodeResult] = []

        def part(emb: Embedder) -> Any:
            parts.append(
                encode_texts(
                    emb,
                    texts,
                    cache,
                    keys=keys,
                    batch_size=batch_size,
                    shard_rows=shard_rows,
                    show_progress=show_progress,
                    description=description,
                )
            )
            return parts[-1].vectors

        out = embedder.encode_parts(texts, part)
        hits = sum(p.hits for p in parts)
        return EncodeResult(out, hits, sum(p.misses for p in parts), time.perf_counter() - start)
    space = cache.space_for(embedder)
    keys = list(keys) if keys is not None else text_keys(texts)
    if len(keys) != len(texts):
        raise ValueError("one key per text is required")
    found_vectors, found = space.get(keys)
    misses: list[int] = np.flatnonzero(~found).tolist()
    first: dict[bytes, int] = {}
    for i in misses:
        first.setdefault(keys[i], i)
    todo = list(first.values())
    out = found_vectors
    if todo:
        pending_keys: list[bytes] = []
        pending_vecs: list[np.ndarray] = []
        fresh: dict[bytes, np.ndarray] = {}

        def flush() -> None:
            if pending_keys:
                space.put(pending_keys, np.concatenate(pending_vecs))
                pending_keys.clear()
                pending_vecs.clear()

        try:
            with progress(description, len(todo), show_progress) as bar:
                for lo in range(0, len(todo), batch_size):
                    idx = todo[lo : lo + batch_size]
                    vecs = embedder.transform([texts[i] for i in idx])
                    for j, i in enumerate(idx):
                        fresh[keys[i]] = vecs[j]
                    pending_keys.extend(keys[i] for i in idx)
                    pending_vecs.append(vecs)
                    if len(pending_keys) >= shard_rows:
                        flush()
                    bar.advance(len(idx))
        finally:
            flush()
        dim = next(iter(fresh.values())).shape[0]
        if out is None:
            out = np.zeros((len(texts), dim), dtype=np.float32)
        for i in misses:
            out[i] = fresh[keys[i]]
    if out is None:  # no texts at all
        out = np.zeros((0, 0), dtype=np.float32)
    return EncodeResult(out, int(found.sum()), len(misses), time.perf_counter() - start, space.id)


def _encode_all(
    embedder: Embedder,
    texts: list[str],
    batch_size: int,
    show_progress: bool | None,
    description: str,
) -> Any:
    if not embedder.cacheable:  # sparse or fitted backends: one call
        return embedder.transform(texts)
    parts = []
    with progress(description, len(texts), show_progress) as bar:
        for lo in range(0, len(texts), batch_size):
            parts.append(embedder.transform(texts[lo : lo + batch_size]))
            bar.advance(len(parts[-1]))
    return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)


def embed_dataset(
    dataset: Dataset,
    embedder: Embedder,
    *,
    home: str | Path | None = None,
    cache: EmbeddingCache | None = None,
    show_progress: bool | None = None,
) -> EncodeResult:
    """Embed every row of a stored dataset (fitting on its train split first if needed)."""
    table = dataset.table(["text", "split", "text_sha256"])
    texts = [str(t) for t in table["text"].to_pylist()]
    keys = table["text_sha256"].to_pylist()
    if embedder.requires_fit:
        splits = table["split"].to_pylist()
        embedder.fit([t for t, s in zip(texts, splits, strict=True) if s == "train"])
    cache = cache if cache is not None else EmbeddingCache(home=home)
    import contextlib

    from textops.embed._threads import torch_threads

    # a torch model takes the cores that are free (bench/busy.py); others need no torch
    threads = torch_threads() if embedder.loads_model else contextlib.nullcontext()
    with threads:
        return encode_texts(
            embedder,
            texts,
            cache,
            keys=keys,
            show_progress=show_progress,
            description=f"embed {dataset.name}",
        )
