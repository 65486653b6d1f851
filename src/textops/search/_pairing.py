"""Which heads an embedder pairs with in a search, and whether its trials choose the input
normalisation: read from the embedder and head tables, nothing built."""

from __future__ import annotations

from collections.abc import Sequence

from textops.embed import EMBEDDERS
from textops.model import HEADS

__all__ = ["compatible_heads", "searches_normalization"]


def searches_normalization(embedder: str, head: str) -> bool:
    """Whether trials choose the input normalisation (``params["normalize"]``): for dense
    embeddings that are not standardised anyway, and heads that scaling can change."""
    cls = EMBEDDERS[embedder].cls  # class attributes only: nothing built
    spec = HEADS[head]
    return not (cls.needs_scaling or cls.sparse_output or spec.scale_invariant or spec.text_input)


def compatible_heads(embedder: str, heads: Sequence[str]) -> list[str]:
    emb_cls = EMBEDDERS[embedder].cls
    out = []
    for key in heads:
        spec = HEADS[key]
        if spec.embedders is not None and embedder not in spec.embedders:
            continue
        if emb_cls.sparse_output and not spec.accepts_sparse:
            continue
        out.append(key)
    return out
