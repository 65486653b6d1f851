"""Semantic flow: how closely each sentence of a text follows the one before it, as the mean
cosine similarity of consecutive sentences' embeddings. Human writing tends to wander more
than generated text; studies of AI-vs-human essays use it next to readability.

Sentences are encoded through the embedding cache, so a second run on the same corpus (or a
search that encoded them already) reads them instead of running the model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from textops.embed._base import Embedder
from textops.embed._cache import EmbeddingCache
from textops.embed._encode import encode_texts
from textops.embed._linguistic import sentences

__all__ = ["semantic_flow"]


def semantic_flow(
    texts: Sequence[str],
    embedder: Embedder | None = None,
    cache: EmbeddingCache | None = None,
    *,
    show_progress: bool | None = None,
) -> np.ndarray:
    """One value per text (NaN for a text of fewer than two sentences). ``embedder``: the
    packaged MiniLM unless given."""
    from textops.embed._registry import make_embedder

    embedder = embedder or make_embedder("minilm")
    per_text = [sentences(t) for t in texts]
    flat = [s.strip() for sents in per_text for s in sents]
    vectors = np.asarray(
        encode_texts(
            embedder, flat, cache, show_progress=show_progress, description="sentences"
        ).vectors,
        dtype=np.float64,
    )
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors / np.where(norms == 0, 1.0, norms)
    out = np.full(len(texts), np.nan)
    start = 0
    for i, sents in enumerate(per_text):
        v = vectors[start : start + len(sents)]
        start += len(sents)
        if len(sents) >= 2:
            out[i] = float(np.mean(np.sum(v[1:] * v[:-1], axis=1)))
    return out
