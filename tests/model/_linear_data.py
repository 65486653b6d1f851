"""A small imbalanced classification problem on which the CV solvers are compared with
scikit-learn's (``test_l2svm``, ``test_lbfgs``)."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import make_classification


def linear_problem(
    n_classes: int, weights: list[float] | None = None, dtype: type = np.float64
) -> tuple[np.ndarray, np.ndarray]:
    X, y = make_classification(
        n_samples=600,
        n_features=40,
        n_informative=12,
        n_classes=n_classes,
        weights=weights,
        class_sep=0.8,
        random_state=3,
    )
    return X.astype(dtype), np.array([f"c{v}" for v in y], dtype=object)
