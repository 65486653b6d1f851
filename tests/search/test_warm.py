"""Warm starts: a CV fit starts from the nearest earlier solution of the same slot only."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from textops.search._warm import WarmStarts

ATTRS = ("coef_", "intercept_")


def _fitted(C: float) -> LogisticRegression:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    y = (X[:, 0] + 0.3 * rng.normal(size=200) > 0).astype(int)
    return LogisticRegression(C=C).fit(X, y)


def test_nearest_solution_on_log_scale_is_used() -> None:
    warm = WarmStarts()
    for C in (0.01, 1.0, 100.0):
        est = _fitted(C)
        warm.keep(est, warm.start(LogisticRegression(), "e", "logreg", 0, {"C": C}, ATTRS), ATTRS)  # type: ignore[arg-type]
    target = LogisticRegression(C=2.0)
    assert warm.start(target, "e", "logreg", 0, {"C": 2.0}, ATTRS) is not None
    assert target.warm_start is True
    np.testing.assert_array_equal(target.coef_, _fitted(1.0).coef_)


def test_other_fold_or_categorical_params_start_cold() -> None:
    warm = WarmStarts()
    est = _fitted(1.0)
    token = warm.start(
        LogisticRegression(), "e", "logreg", 0, {"C": 1.0, "class_weight": None}, ATTRS
    )
    assert token is not None
    warm.keep(est, token, ATTRS)
    for fold, cw in ((1, None), (0, "balanced")):
        target = LogisticRegression()
        warm.start(target, "e", "logreg", fold, {"C": 1.0, "class_weight": cw}, ATTRS)
        assert target.warm_start is False and not hasattr(target, "coef_")


def test_head_without_warm_start_gets_no_token() -> None:
    assert WarmStarts().start(LogisticRegression(), "e", "knn", 0, {"n_neighbors": 5}, ()) is None
