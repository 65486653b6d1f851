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


def _damage(folder: Path, how: str) -> None:
    clf = folder / "artifacts" / "classifier"
    if how == "truncated head":
        data = (clf / "head.skops").read_bytes()
        (clf / "head.skops").write_bytes(data[: len(data) // 2])
    elif how == "head of another model":
        other = FIXTURES / "svm_fake" / "artifacts" / "classifier" / "head.skops"
        (clf / "head.skops").write_bytes(other.read_bytes())
    elif how == "no env lock":
        (clf / "env_lock.json").unlink()
    elif how == "empty description":
        (clf / "classifier.json").write_text("")


DAMAGE = ["truncated head", "head of another model", "no env lock", "empty description"]


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_model_folder_is_one_line_and_exit_2(how: str, tmp_path: Path) -> None:
    """predict says what is wrong in one line (exit 2: could not run), and serve stops with
    the reason instead of staying up answering 503."""
    import os
    import shutil
    import subprocess
    import sys

    from typer.testing import CliRunner

    from textops.cli import app

    folder = tmp_path / "model"
    shutil.copytree(FIXTURES / "logreg_tfidf", folder)
    _damage(folder, how)
    res = CliRunner().invoke(app, ["predict", str(folder), "goal team match"])
    assert res.exit_code == 2, res.output
    assert res.output.startswith("error: ") and len(res.output.strip().splitlines()) == 1
    assert "Traceback" not in res.output
    env = {**os.environ, "TEXTOPS_HOME": str(tmp_path / "home")}
    served = subprocess.run(
        [sys.executable, "-m", "textops", "serve", str(folder), "--port", "0"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert served.returncode == 2, served.stderr[-2000:]
    assert "Traceback" not in served.stderr and "error: " in served.stderr
