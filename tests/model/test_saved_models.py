"""Models saved by an earlier textops still load and predict exactly as they did."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "models"
MODELS = ["svm_fake", "logreg_tfidf", pytest.param("hybrid_logreg", marks=pytest.mark.integration)]


@pytest.mark.parametrize("name", MODELS)
def test_an_old_model_loads_and_predicts_as_it_did(name: str) -> None:
    from textops.track import load_classifier

    folder = FIXTURES / name
    expected = json.loads((folder / "expected.json").read_text())
    clf, _ = load_classifier(str(folder), "sqlite:///unused.db")
    assert clf.predict(expected["texts"]) == expected["labels"]
    np.testing.assert_allclose(clf.predict_proba(expected["texts"]), expected["proba"], atol=1e-5)


@pytest.mark.parametrize("name", ["svm_fake", "logreg_tfidf"])
def test_an_old_model_loads_in_plain_mlflow(name: str) -> None:
    import mlflow.pyfunc
    import pandas as pd

    folder = FIXTURES / name
    expected = json.loads((folder / "expected.json").read_text())
    model = mlflow.pyfunc.load_model(str(folder))
    out = model.predict(pd.DataFrame({"text": expected["texts"]}))
    assert list(out["label"]) == expected["labels"]
