"""Products for the CV solvers on embeddings: float32 operands (half the memory traffic of
float64, and the embeddings' own type), float64 results for the solver's own arithmetic."""

from __future__ import annotations

import numpy as np

__all__ = ["matmul32"]


def matmul32(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` computed in float32, returned as float64."""
    out: np.ndarray = (a.astype(np.float32, copy=False) @ b.astype(np.float32, copy=False)).astype(
        np.float64
    )
    return out
