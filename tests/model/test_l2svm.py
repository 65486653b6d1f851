"""The CV solver of the linear SVM minimises LinearSVC's objective: same labels, same weights."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.svm import LinearSVC

from tests.model._linear_data import linear_problem
from textops.model._l2svm import NewtonLinearSVC


def _data(n_classes: int, weights: list[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    return linear_problem(n_classes, weights)


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("class_weight", [None, "balanced"])
@pytest.mark.parametrize("C", [0.01, 1.0, 10.0])
def test_newton_svm_matches_liblinear(n_classes: int, class_weight: str | None, C: float) -> None:
    weights = [0.7] + [0.3 / (n_classes - 1)] * (n_classes - 1)
    X, y = _data(n_classes, weights)
    ref = LinearSVC(C=C, class_weight=class_weight, tol=1e-6, max_iter=20000).fit(X, y)
    fast = NewtonLinearSVC(C=C, class_weight=class_weight).fit(X, y)
    assert fast.coef_.shape == ref.coef_.shape
    assert fast.intercept_.shape == ref.intercept_.shape
    np.testing.assert_allclose(fast.coef_, ref.coef_, atol=2e-3 * max(1.0, np.abs(ref.coef_).max()))
    assert np.mean(fast.predict(X) == ref.predict(X)) >= 0.995
    assert list(fast.classes_) == list(ref.classes_)


def test_warm_start_reaches_the_same_solution_in_fewer_steps() -> None:
    X, y = _data(4)
    cold = NewtonLinearSVC(C=3.0).fit(X, y)
    near = NewtonLinearSVC(C=2.5).fit(X, y)
    warm = NewtonLinearSVC(C=3.0, warm_start=True)
    warm.coef_, warm.intercept_ = near.coef_, near.intercept_
    warm.fit(X, y)
    np.testing.assert_allclose(warm.coef_, cold.coef_, atol=1e-3)
    assert warm.n_iter_ < cold.n_iter_


def test_single_class_is_refused() -> None:
    with pytest.raises(ValueError, match="2 classes"):
        NewtonLinearSVC().fit(np.ones((4, 2)), ["a"] * 4)


def test_works_inside_a_pipeline_with_scaling() -> None:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = _data(3)
    pipe = make_pipeline(StandardScaler(), NewtonLinearSVC(C=0.1)).fit(X, y)
    assert pipe.predict(X).shape == (len(y),)


def test_fits_given_one_products_dict_share_them_and_solve_the_same() -> None:
    X, y = _data(4)
    products: dict[object, object] = {}
    a = NewtonLinearSVC(C=1.0, class_weight="balanced").fit(X, y, products=products)
    gram = products["gram"]
    b = NewtonLinearSVC(C=3.0, class_weight="balanced").fit(X, y, products=products)
    assert products["gram"] is gram  # the second fit reused the first one's X'X
    # same solutions as fits that keep nothing
    for est, C in ((a, 1.0), (b, 3.0)):
        plain = NewtonLinearSVC(C=C, class_weight="balanced").fit(X, y)
        np.testing.assert_allclose(est.coef_, plain.coef_, rtol=1e-6, atol=1e-8)
