"""`textops monitor report` writes a self-contained HTML page from the prediction log."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import Registered, topic_rows
from textops.cli._app import app as cli
from textops.serve import create_app


def test_report_has_plots_drift_and_the_hand_counted_accuracy(
    settings_for: Any, registered: Registered, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("TEXTOPS_R_KEY", "r")
    db = f"sqlite:///{tmp_path / 'm.db'}"
    settings = settings_for(monitor_db=db, log_text=True, api_key_env="TEXTOPS_R_KEY")
    rows = topic_rows(60, seed=3)
    with TestClient(create_app(settings)) as c:
        key = {"x-api-key": "r"}
        preds = c.post("/v1/predict", json={"texts": [t for t, _ in rows]}, headers=key).json()
        items = [
            {"prediction_id": p["prediction_id"], "label": lab}
            for p, (_, lab) in zip(preds["predictions"][:40], rows[:40], strict=True)
        ]
        assert c.post("/v1/feedback", json={"items": items}, headers=key).status_code == 200
        hand = (
            sum(
                p["label"] == lab
                for p, (_, lab) in zip(preds["predictions"][:40], rows[:40], strict=True)
            )
            / 40
        )
        time.sleep(0.5)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        cli,
        ["monitor", "report", "--monitor-db", db, "--tracking-uri",
         registered.tracking_uri, "--output", str(out), "--since", "1h", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["predictions"] == 60 and summary["feedback"] == 40
    assert abs(summary["accuracy"] - hand) < 1e-9
    assert set(summary["drift"]["tests"]) == {
        "predicted_labels",
        "text_length",
        "oov_rate",
        "embedding",
    }
    page = out.read_text()
    assert page.count("<img") >= 4 and "data:image/png;base64," in page
    assert "http://" not in page and "https://" not in page  # nothing fetched from outside


def test_report_covers_the_version_it_names_and_lists_the_others(
    settings_for: Any, registered: Registered, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'm.db'}"
    v1, v2 = registered.versions
    rows = topic_rows(30, seed=5)
    served = {}
    for version, n in ((v1, 20), (v2, 9)):
        settings = settings_for(model_uri=f"models:/topics/{version}", monitor_db=db)
        with TestClient(create_app(settings)) as c:
            preds = c.post("/v1/predict", json={"texts": [t for t, _ in rows[:n]]}).json()
            served[version] = preds["predictions"]
            first = preds["predictions"][0]
            label = rows[0][1]
            fb = {"prediction_id": first["prediction_id"], "label": label}
            assert c.post("/v1/feedback", json=fb).status_code == 200
    out = tmp_path / "r.html"
    args = ["monitor", "report", f"models:/topics/{v1}", "--monitor-db", db,
            "--tracking-uri", registered.tracking_uri, "--output", str(out)]  # fmt: skip
    summary = json.loads(CliRunner().invoke(cli, [*args, "--json"]).stdout)
    assert summary["model"]["version"] == str(v1)
    assert summary["predictions"] == 20 and summary["feedback"] == 1
    assert summary["other_versions"] == {str(v2): 9}
    assert f"v{v2}: 9" in out.read_text()
    text = CliRunner().invoke(cli, args).stdout
    assert f"topics v{v1}: 20 predictions" in text and f"v{v2} 9" in text
