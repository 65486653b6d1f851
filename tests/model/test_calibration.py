"""Temperature scaling gives a margin classifier probabilities without changing its labels."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification
from sklearn.linear_model import RidgeClassifier
from sklearn.metrics import log_loss
from sklearn.svm import LinearSVC

from textops.model._calibration import TemperatureScaledClassifier, _fit_temperature


def _data(n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    X, y = make_classification(
        n_samples=900,
        n_features=20,
        n_informative=6,
        n_classes=n_classes,
        weights=[0.85] + [0.15 / (n_classes - 1)] * (n_classes - 1),
        class_sep=0.6,
        flip_y=0.05,
        random_state=1,
    )
    return X, np.array([f"c{v}" for v in y], dtype=object)


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("est", [LinearSVC(C=0.05), RidgeClassifier(alpha=10.0)])
def test_labels_are_the_classifiers_own(n_classes: int, est: object) -> None:
    X, y = _data(n_classes)
    raw = est.fit(X, y).predict(X)  # type: ignore[attr-defined]
    scaled = TemperatureScaledClassifier(est).fit(X, y)
    np.testing.assert_array_equal(scaled.predict(X), raw)
    proba = scaled.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(scaled.classes_[proba.argmax(axis=1)], raw)
    # Platt scaling on imbalanced data moves the threshold: some labels change
    platt = CalibratedClassifierCV(est, cv=3, method="sigmoid", ensemble=False).fit(X, y)
    assert (platt.predict(X) != raw).any()


def test_probabilities_are_calibrated_better_than_raw_margins() -> None:
    X, y = _data(2)
    Xtr, ytr, Xte, yte = X[:600], y[:600], X[600:], y[600:]
    scaled = TemperatureScaledClassifier(LinearSVC(C=0.05)).fit(Xtr, ytr)
    unscaled = 1.0 / (1.0 + np.exp(-scaled.decision_function(Xte)))  # temperature 1
    assert scaled.temperature_ != pytest.approx(1.0, rel=0.05)
    assert log_loss(yte, scaled.predict_proba(Xte)[:, 1]) < log_loss(yte, unscaled)


def test_fitted_temperature_minimises_log_loss() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(500, 3))
    # labels drawn from softmax(2.5 * logits): the fit should land near 2.5
    p = np.exp(2.5 * logits)
    p /= p.sum(axis=1, keepdims=True)
    y = np.array([rng.choice(3, p=row) for row in p])
    assert _fit_temperature(logits, y) == pytest.approx(2.5, rel=0.2)


def test_a_class_with_a_single_row_still_fits() -> None:
    X, y = _data(2)
    y = y.copy()
    y[0] = "rare"
    scaled = TemperatureScaledClassifier(LinearSVC()).fit(X, y)
    assert scaled.temperature_ == 1.0
    assert scaled.predict_proba(X[:3]).shape == (3, 3)
