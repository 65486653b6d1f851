"""A deterministic, dependency-free embedder for fast tests and dry runs.

Each word is hashed to a fixed random direction and a text is the normalised sum of its words'
directions, so texts that share words are close: heads can learn from it, which makes it a
faithful stand-in for a real model in unit tests. It counts the texts it encodes (``n_encoded_``).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from textops._types import Target
from textops.embed._base import Embedder

__all__ = ["HashingFakeEmbedder"]

_WORD = re.compile(r"\w+")


@functools.lru_cache(maxsize=200_000)
def _word_vector(word: str, dim: int, seed: int) -> np.ndarray:
    digest = hashlib.blake2b(f"{seed}:{word}".encode(), digest_size=8).digest()
    rng = np.random.default_rng(int.from_bytes(digest, "little"))
    vec = rng.standard_normal(dim).astype(np.float32)
    vec.flags.writeable = False
    return vec


class HashingFakeEmbedder(Embedder):
    """Hashed bag-of-words projected to ``dim`` dimensions; deterministic across processes."""

    runtime_params: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, *, dim: int = 32, seed: int = 0) -> None:
        self.dim = dim
        self.seed = seed

    def _word_vector(self, word: str) -> np.ndarray:
        return _word_vector(word, self.dim, self.seed)

    def _encode(self, texts: list[str]) -> np.ndarray:
        self.n_encoded_ = getattr(self, "n_encoded_", 0) + len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                out[i] += self._word_vector(word)
            norm = float(np.linalg.norm(out[i]))
            if norm > 0:
                out[i] /= norm
        return out

    def _model_id(self) -> str:
        return f"hashing-fake-v1:dim={self.dim}:seed={self.seed}"

    def fit(self, texts: Sequence[str], y: Target | None = None) -> HashingFakeEmbedder:
        return self
