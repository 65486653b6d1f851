from __future__ import annotations

import numpy as np
import pytest

from textops._json import to_json
from textops.model import expected_calibration_error
from textops.track import evaluate


def test_perfect_confident_predictions_score_one_with_zero_ece() -> None:
    proba = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    m = evaluate(["a", "b", "a"], proba, ["a", "b"])
    assert m.accuracy == m.macro_f1 == m.roc_auc == 1.0
    assert m.ece == 0.0
    assert m.confusion_matrix == [[2, 0], [0, 1]]
    assert m.per_class["b"].support == 1
    # --json and the logged metrics keep their keys
    assert to_json(m)["per_class"]["b"]["support"] == 1 and "latency_ms_per_text" not in to_json(m)


def test_overconfident_wrong_predictions_have_high_ece() -> None:
    proba = np.array([[0.99, 0.01]] * 10)
    correct = np.array([1.0] * 5 + [0.0] * 5)
    assert expected_calibration_error(proba, correct) == pytest.approx(0.49)


def test_multiclass_metrics() -> None:
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(3), size=60)
    y = [["x", "y", "z"][i % 3] for i in range(60)]
    m = evaluate(y, proba, ["x", "y", "z"])
    assert 0 <= m.macro_f1 <= 1 and m.roc_auc is not None
    assert np.asarray(m.confusion_matrix).sum() == 60
