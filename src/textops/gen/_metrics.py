"""Scores of a set of generated texts: diversity as 1 - the mean pairwise cosine similarity of
their embeddings, distinct-n (unique n-grams over all n-grams, whitespace words), self-BLEU
(sacreBLEU: each text against the others; higher means more alike)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["distinct_n", "embedding_diversity", "self_bleu"]


def embedding_diversity(vectors: np.ndarray) -> float:
    """1 - the mean cosine similarity over every pair of distinct rows."""
    v = np.asarray(vectors, dtype=np.float64)
    n = len(v)
    if n < 2:
        return float("nan")
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    u = v / np.where(norms == 0, 1.0, norms)
    sims = u @ u.T
    mean = (sims.sum() - np.trace(sims)) / (n * (n - 1))
    return float(1.0 - mean)


def distinct_n(texts: Sequence[str], n: int) -> float:
    grams = [tuple(w[i : i + n]) for w in (t.lower().split() for t in texts)
             for i in range(len(w) - n + 1)]  # fmt: skip
    return len(set(grams)) / len(grams) if grams else 0.0


def self_bleu(texts: Sequence[str]) -> float:
    """Mean sentence BLEU (0-1) of each text against all the others as references."""
    from textops._packages import require

    require("gen", "self-BLEU", "sacrebleu")
    import sacrebleu

    if len(texts) < 2:
        return float("nan")
    scores = [
        sacrebleu.sentence_bleu(t, [o for j, o in enumerate(texts) if j != i]).score
        for i, t in enumerate(texts)
    ]
    return float(np.mean(scores) / 100.0)
