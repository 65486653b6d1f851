"""The CV solver of logistic regression on TF-IDF minimises LogisticRegression's objective:
same labels, same weights, and a warm start reaches them sooner."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from tests.model._linear_data import linear_problem
from textops.model._lbfgs import LbfgsLogisticRegression


def _data(n_classes: int, weights: list[float] | None = None) -> tuple[Any, np.ndarray]:
    """A sparse problem (the solver is for TF-IDF): the linear problem in CSR form."""
    import scipy.sparse as sp

    X, y = linear_problem(n_classes, weights, dtype=np.float32)
    return sp.csr_matrix(X), y


def _centred(scores: np.ndarray) -> np.ndarray:
    return scores - scores.mean(axis=1, keepdims=True) if scores.ndim == 2 else scores


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("class_weight", [None, "balanced", {"c0": 2.0}])
@pytest.mark.parametrize("C", [0.01, 1.0, 10.0])
def test_matches_sklearn_lbfgs(n_classes: int, class_weight: object, C: float) -> None:
    weights = [0.7] + [0.3 / (n_classes - 1)] * (n_classes - 1)
    X, y = _data(n_classes, weights)
    ref = LogisticRegression(C=C, class_weight=class_weight, tol=1e-8, max_iter=20000).fit(X, y)
    fast = LbfgsLogisticRegression(C=C, class_weight=class_weight, tol=1e-8).fit(X, y)
    assert fast.coef_.shape == ref.coef_.shape
    assert fast.intercept_.shape == ref.intercept_.shape
    assert list(fast.classes_) == list(ref.classes_)
    np.testing.assert_allclose(fast.coef_, ref.coef_, atol=1e-2 * max(1.0, np.abs(ref.coef_).max()))
    # softmax scores are defined up to a constant per row: compare them centred, within the
    # same relative tolerance as the coefficients (both solvers stop at tol, not at one point)
    want = _centred(ref.decision_function(X))
    np.testing.assert_allclose(
        _centred(fast.decision_function(X)), want, atol=5e-3 * max(4.0, np.abs(want).max())
    )
    assert np.mean(fast.predict(X) == ref.predict(X)) >= 0.995


def test_default_tolerance_agrees_with_sklearn_defaults() -> None:
    X, y = _data(4)
    ref = LogisticRegression(C=1.0, max_iter=3000).fit(X, y)
    fast = LbfgsLogisticRegression(C=1.0).fit(X, y)
    assert np.mean(fast.predict(X) == ref.predict(X)) >= 0.99


def test_warm_start_reaches_the_same_solution_in_fewer_iterations() -> None:
    X, y = _data(4)
    cold = LbfgsLogisticRegression(C=3.0, tol=1e-8).fit(X, y)
    near = LbfgsLogisticRegression(C=2.5, tol=1e-8).fit(X, y)
    warm = LbfgsLogisticRegression(C=3.0, tol=1e-8, warm_start=True)
    warm.coef_, warm.intercept_ = near.coef_, near.intercept_
    warm.fit(X, y)
    np.testing.assert_allclose(warm.coef_, cold.coef_, atol=1e-3)
    assert warm.n_iter_[0] < cold.n_iter_[0]


def test_a_start_of_the_wrong_shape_is_ignored() -> None:
    X, y = _data(4)
    est = LbfgsLogisticRegression(warm_start=True)
    est.coef_, est.intercept_ = np.ones((2, 3)), np.ones(2)
    cold = LbfgsLogisticRegression().fit(X, y)
    np.testing.assert_allclose(est.fit(X, y).coef_, cold.coef_)


def test_single_class_and_dense_inputs_are_refused() -> None:
    import scipy.sparse as sp

    with pytest.raises(ValueError, match="two classes"):
        LbfgsLogisticRegression().fit(sp.csr_matrix(np.ones((4, 2))), ["a"] * 4)
    with pytest.raises(TypeError, match="sparse"):  # embeddings: sklearn's own lbfgs is as fast
        LbfgsLogisticRegression().fit(np.ones((4, 2)), ["a", "b"] * 2)


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("C", [0.1, 10.0])
def test_sparse_inputs_with_zeros_reach_sklearns_solution(n_classes: int, C: float) -> None:
    import scipy.sparse as sp

    X, y = linear_problem(n_classes, None, dtype=np.float32)
    X[np.abs(X) < 0.8] = 0.0  # a sparse matrix with zeros in it, like TF-IDF
    Xs = sp.csr_matrix(X)
    ref = LogisticRegression(C=C, tol=1e-8, max_iter=20000).fit(Xs, y)
    fast = LbfgsLogisticRegression(C=C, tol=1e-8).fit(Xs, y)
    # float32 products bound how close the solver gets on this less well-conditioned problem
    np.testing.assert_allclose(fast.coef_, ref.coef_, atol=1e-2 * max(1.0, np.abs(ref.coef_).max()))
    np.testing.assert_allclose(
        _centred(fast.decision_function(Xs)), _centred(ref.decision_function(Xs)), atol=0.02
    )
    assert np.mean(fast.predict(Xs) == ref.predict(Xs)) >= 0.995


def test_numpy_lbfgs_minimises_an_ill_conditioned_quadratic() -> None:
    from textops.model._lbfgs import minimize_lbfgs

    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.normal(size=(30, 30)))
    A = Q @ np.diag(np.logspace(0, 3, 30)) @ Q.T  # condition number 1000
    b = rng.normal(size=30)

    def loss_grad(x: np.ndarray) -> tuple[float, np.ndarray]:
        return float(0.5 * x @ A @ x - b @ x), A @ x - b

    x, nit = minimize_lbfgs(loss_grad, np.zeros(30), maxiter=5000, gtol=1e-8, ftol=0.0)
    np.testing.assert_allclose(x, np.linalg.solve(A, b), atol=1e-6)
    assert 0 < nit < 5000
    _, capped = minimize_lbfgs(loss_grad, np.zeros(30), maxiter=3, gtol=1e-8, ftol=0.0)
    assert capped == 3
