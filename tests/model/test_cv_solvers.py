"""A head's faster cross-validation solver predicts what the deployed head predicts."""

from __future__ import annotations

import numpy as np
import pytest

from textops.model import HEADS, build_head


@pytest.mark.parametrize("key", [k for k, spec in HEADS.items() if spec.cv_factory])
def test_cv_solver_predicts_what_the_deployed_head_does(key: str) -> None:
    import scipy.sparse as sp
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=500, n_features=30, n_informative=10, n_classes=3, random_state=0
    )
    dense = HEADS[key].cv_dense
    X = X.astype(np.float32) if dense else sp.csr_matrix(X.astype(np.float32))
    params = {"C": 0.7, "class_weight": "balanced"}
    inputs = "dense" if dense else "sparse"
    cv = build_head(key, params, probability=False, cv_inputs=inputs).fit(X, y)
    deployed = build_head(key, params).fit(X, y)
    assert type(cv) is not type(deployed)  # the table's faster solver, not the same estimator
    assert np.mean(cv.predict(X) == deployed.predict(X)) >= 0.99
