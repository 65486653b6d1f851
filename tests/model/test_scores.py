"""The one macro-F1: scikit-learn's ``f1_score(average="macro")``, on codes and on labels."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

from textops.model import macro_f1, macro_f1_labels


def test_macro_f1_matches_sklearn_with_labels_missing_on_either_side() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        y_true = rng.integers(0, 5, size=40)
        y_pred = np.where(rng.random(40) < 0.6, y_true, rng.integers(0, 7, size=40))
        y_pred[y_pred == 2] = 3  # label 2 never predicted
        expected = f1_score(y_true, y_pred, average="macro", zero_division=0)
        assert macro_f1(y_true, y_pred) == pytest.approx(expected, abs=1e-12)
        assert macro_f1(y_true, y_pred, 9) == pytest.approx(expected, abs=1e-12)  # room unused
        names = np.array(list("abcdefg"))
        strings = macro_f1_labels(list(names[y_true]), list(names[y_pred]))
        assert strings == pytest.approx(expected, abs=1e-12)


def test_no_rows_score_zero() -> None:
    assert macro_f1(np.array([], dtype=int), np.array([], dtype=int)) == 0.0
    assert macro_f1_labels([], []) == 0.0


def test_it_is_the_only_macro_f1_in_the_package() -> None:
    """Every caller (folds, trained heads, the test report, the gate, assess, live accuracy)
    goes through model._scores: no other module computes it."""
    import re
    from pathlib import Path

    import textops

    root = Path(textops.__file__).parent
    defs = re.compile(r"^def \w*macro_f1\w*\(|average=\"macro\"", re.MULTILINE)
    found = [str(p.relative_to(root)) for p in root.rglob("*.py")
             if defs.search(p.read_text("utf-8"))]  # fmt: skip
    assert found == ["model/_scores.py"], found
