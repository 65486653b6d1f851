"""What a label would teach, per prediction: one score in [0, 1] per strategy, higher first.

- uncertainty: 1 minus the margin between the two most probable labels (as served): the
  predictions nearest the decision boundary, where a label moves it most;
- disagreement: the total-variation distance between the champion's and the challenger's
  probabilities: where the two versions a promotion will choose between differ;
- novelty: how far a text is from the training data: one minus the cosine to the nearest
  training vector of the model's drift reference (dense embedders), else the share of its
  words the training vocabulary lacks (TF-IDF has no dense vectors to compare);
- mixed: uncertainty's and disagreement's percentile ranks averaged (scores on different
  scales put on one); disagreement only when there is a challenger.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textops._types import Features

if TYPE_CHECKING:
    import numpy as np

    from textops.model import TrainingReference

__all__ = ["disagreement", "novelty", "rank_average", "uncertainty"]


def uncertainty(P: np.ndarray) -> np.ndarray:
    import numpy as np

    if P.shape[1] < 2:
        return np.zeros(P.shape[0])
    top2 = -np.sort(-P, axis=1)[:, :2]
    out: np.ndarray = np.clip(1.0 - (top2[:, 0] - top2[:, 1]), 0.0, 1.0)
    return out


def disagreement(P: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """``P`` and ``Q``: the same texts, the same label columns."""
    import numpy as np

    out: np.ndarray = np.clip(0.5 * np.abs(P - Q).sum(axis=1), 0.0, 1.0)
    return out


def _nearest_cosine(X: np.ndarray, R: np.ndarray) -> np.ndarray:
    import numpy as np

    def unit(A: np.ndarray) -> np.ndarray:
        out: np.ndarray = A / np.maximum(np.linalg.norm(A, axis=1, keepdims=True), 1e-12)
        return out

    Xu, Ru = unit(np.asarray(X, dtype=np.float32)), unit(np.asarray(R, dtype=np.float32))
    best = np.full(Xu.shape[0], -1.0, dtype=np.float32)
    for lo in range(0, Ru.shape[0], 4096):
        best = np.maximum(best, (Xu @ Ru[lo : lo + 4096].T).max(axis=1))
    out: np.ndarray = best.astype(np.float64)
    return out


def novelty(
    texts: Sequence[str], features: Features | None, reference: TrainingReference | None
) -> tuple[np.ndarray, str] | None:
    """Scores and what they measure, or None when the model keeps no training reference."""
    import numpy as np

    from textops.model import oov_rate

    if reference is None:
        return None
    ref = reference.vectors
    dense = features if isinstance(features, np.ndarray) and features.ndim == 2 else None
    if dense is not None and ref is not None and len(ref) and ref.shape[1] == dense.shape[1]:
        return 1.0 - _nearest_cosine(dense, ref), "distance"
    vocab = reference.vocab_set
    return np.asarray([oov_rate(t, vocab) for t in texts], dtype=np.float64), "unseen words"


def rank_average(columns: Sequence[np.ndarray]) -> np.ndarray:
    """Each column as percentile ranks (ties share one), averaged."""
    import numpy as np
    from scipy.stats import rankdata

    n = len(columns[0])
    if n == 0:
        return np.zeros(0)
    ranks = [rankdata(c, method="average") / n for c in columns]
    out: np.ndarray = np.mean(ranks, axis=0)
    return out
