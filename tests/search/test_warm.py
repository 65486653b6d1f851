"""Warm starts: a CV fit starts from the nearest earlier solution of the same slot only."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from textops.search._fitting import WarmStarts

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


def test_other_normalisation_starts_cold_and_other_fold_warm() -> None:
    warm = WarmStarts()
    params = {"C": 1.0, "class_weight": None, "normalize": "none"}
    token = warm.start(LogisticRegression(), "e", "logreg", 0, params, ATTRS)
    assert token is not None
    warm.keep(_fitted(1.0), token, ATTRS)
    other_inputs = LogisticRegression()
    warm.start(other_inputs, "e", "logreg", 0, {**params, "normalize": "standard"}, ATTRS)
    assert other_inputs.warm_start is False and not hasattr(other_inputs, "coef_")
    other_fold = LogisticRegression()
    warm.start(other_fold, "e", "logreg", 1, params, ATTRS)
    np.testing.assert_array_equal(other_fold.coef_, _fitted(1.0).coef_)
    # features fitted per fold (TF-IDF vocabularies) never start from another fold
    fitted_per_fold = WarmStarts()
    token = fitted_per_fold.start(LogisticRegression(), "t", "logreg", 0, params, ATTRS, False)
    assert token is not None
    fitted_per_fold.keep(_fitted(1.0), token, ATTRS)
    own_vocabulary = LogisticRegression()
    fitted_per_fold.start(own_vocabulary, "t", "logreg", 1, params, ATTRS, False)
    assert not hasattr(own_vocabulary, "coef_")


def test_another_folds_solution_is_taken_only_when_this_folds_are_far() -> None:
    warm = WarmStarts()
    for fold, C in ((0, 1.0), (1, 100.0)):
        token = warm.start(LogisticRegression(), "e", "logreg", fold, {"C": C}, ATTRS)
        assert token is not None
        warm.keep(_fitted(C), token, ATTRS)
    # fold 1 at C=1: fold 0's C=1 (0 + 1.5 for the other fold) beats its own C=100 (4.6)
    same_c = LogisticRegression()
    warm.start(same_c, "e", "logreg", 1, {"C": 1.0}, ATTRS)
    np.testing.assert_array_equal(same_c.coef_, _fitted(1.0).coef_)
    # fold 1 at C=50: its own C=100 (0.7) beats fold 0's C=1 (3.9 + 1.5)
    own = LogisticRegression()
    warm.start(own, "e", "logreg", 1, {"C": 50.0}, ATTRS)
    np.testing.assert_array_equal(own.coef_, _fitted(100.0).coef_)


def test_other_class_weights_start_when_nothing_closer() -> None:
    warm = WarmStarts()
    for C, cw in ((1.0, None), (100.0, "balanced")):
        token = warm.start(
            LogisticRegression(), "e", "logreg", 0, {"C": C, "class_weight": cw}, ATTRS
        )
        assert token is not None
        warm.keep(_fitted(C), token, ATTRS)
    # C=2: the unweighted solution at C=1 (log distance 0.7 + 2 for the weights) is nearer
    # than the weighted one at C=100 (log distance 3.9)
    near = LogisticRegression()
    warm.start(near, "e", "logreg", 0, {"C": 2.0, "class_weight": "balanced"}, ATTRS)
    np.testing.assert_array_equal(near.coef_, _fitted(1.0).coef_)
    far = LogisticRegression()
    warm.start(far, "e", "logreg", 0, {"C": 30.0, "class_weight": "balanced"}, ATTRS)
    np.testing.assert_array_equal(far.coef_, _fitted(100.0).coef_)


def test_head_without_warm_start_gets_no_token() -> None:
    assert WarmStarts().start(LogisticRegression(), "e", "knn", 0, {"n_neighbors": 5}, ()) is None


def test_estimator_without_warm_start_gets_no_token_and_fits_cold() -> None:
    from sklearn.svm import LinearSVC

    warm = WarmStarts()
    token = warm.start(LogisticRegression(), "e", "linear_svm", 0, {"C": 1.0}, ATTRS)
    assert token is not None
    warm.keep(_fitted(1.0), token, ATTRS)
    svc = LinearSVC()
    assert warm.start(svc, "e", "linear_svm", 0, {"C": 1.0}, ATTRS) is None
    assert not hasattr(svc, "coef_")
