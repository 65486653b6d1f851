"""`textops assess`: models and outside predictions on one split, figures equal scikit-learn's
and statsmodels', intervals around them, an MLflow run and an HTML report."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, log_loss
from statsmodels.stats.contingency_tables import mcnemar
from typer.testing import CliRunner

from tests.conftest import Registered
from textops.cli import app
from textops.data import DatasetStore
from textops.errors import ConfigError
from textops.explain import Candidate, assess, read_predictions
from textops.track import load_classifier

runner = CliRunner()


def _split(registered: Registered) -> tuple[list[str], list[str]]:
    ds = DatasetStore(registered.home).get("topics")
    return ds.texts("test"), ds.labels("test")


def test_assess_two_versions_and_a_file(registered: Registered, tmp_path: Path) -> None:
    texts, labels = _split(registered)
    v1, v2 = (f"models:/topics/{v}" for v in registered.versions)
    clf, _ = load_classifier(v1, registered.tracking_uri)
    proba = clf.predict_proba(texts)
    pred = [clf.labels[i] for i in proba.argmax(axis=1)]
    outside = tmp_path / "llm.csv"
    rows = list(zip(texts, ["money"] * len(texts), strict=True))[::-1]  # by text, any order
    with outside.open("w", newline="") as fh:
        csv.writer(fh).writerows([("text", "prediction"), *rows])
    page = tmp_path / "assess.html"
    res = runner.invoke(
        app, ["assess", "topics", v1, v2, "--predictions", str(outside), "--html", str(page),
              "--tracking-uri", registered.tracking_uri, "--json"],
        env={"TEXTOPS_HOME": str(registered.home)},
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    first, second, llm = report["models"]
    assert second["name"] == v2
    assert report["n"] == len(texts) and first["name"] == v1 and llm["source"] == "file"
    assert first["accuracy"] == pytest.approx(accuracy_score(labels, pred))
    assert first["macro_f1"] == pytest.approx(f1_score(labels, pred, average="macro"))
    low, high = first["macro_f1_ci"]
    assert low <= first["macro_f1"] <= high and high - low > 0
    assert first["per_class_f1"]["sport"] == pytest.approx(
        f1_score(labels, pred, labels=["sport"], average=None)[0]
    )
    assert first["log_loss"] == pytest.approx(log_loss(labels, proba, labels=clf.labels), rel=1e-6)
    assert 0 <= first["ece"] <= 1 and sum(first["reliability"]["count"]) == len(texts)
    assert first["latency_p50_ms"] > 0 and first["size_bytes"] > 1000
    assert llm["macro_f1"] == pytest.approx(
        f1_score(labels, ["money"] * len(texts), average="macro")
    )
    assert llm["ece"] is None and llm["latency_p50_ms"] is None
    pair = next(p for p in report["pairs"] if p["a"] == v1 and p["b"] == "llm.csv")
    ok1 = np.array(pred) == np.array(labels)
    ok2 = np.array(labels) == "money"
    table = [[int(np.sum(ok1 & ok2)), int(np.sum(ok1 & ~ok2))],
             [int(np.sum(~ok1 & ok2)), int(np.sum(~ok1 & ~ok2))]]  # fmt: skip
    exact = table[0][1] + table[1][0] < 25
    assert pair["p_value"] == pytest.approx(mcnemar(table, exact=exact, correction=True).pvalue)
    assert len(report["pairs"]) == 3
    assert "data:image/png;base64," in page.read_text() and "McNemar" in page.read_text()
    from textops.track import MlflowTracker

    client = MlflowTracker(registered.tracking_uri).client
    run = client.get_run(report["run_id"])
    assert run.data.metrics["m0_macro_f1"] == pytest.approx(first["macro_f1"])
    assert run.data.tags["textops.kind"] == "assess"
    files = {a.path for a in client.list_artifacts(report["run_id"])}
    assert {"assessment.json", "assessment.png", "assessment"} <= files


def test_outside_predictions_by_order_with_probabilities(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("predicted_label,proba_a,proba_b\na,0.9,0.1\nb,0.2,0.8\nb,0.4,0.6\n")
    c = read_predictions(path, ["x", "y", "z"])
    assert c.predicted == ["a", "b", "b"] and c.labels == ["a", "b"]
    report = assess("d", "test", ["a", "b", "a"], [c])
    (m,) = report.models
    assert m.log_loss == pytest.approx(log_loss(["a", "b", "a"], c.proba, labels=["a", "b"]))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("text,score\nx,1\n", "no label column"),
        ("label\na\nb\n", "2 rows for a split of 3"),
        ("text,label\nx,a\ny,a\nw,b\n", "1 of the split's 3 texts have no row"),
    ],
)
def test_bad_prediction_files_say_what_to_do(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "p.csv"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        read_predictions(path, ["x", "y", "z"])


def test_a_candidate_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ConfigError, match="2 predictions for 3 rows"):
        assess("d", "test", ["a", "b", "a"], [Candidate("m", "file", ["a", "b"])])
