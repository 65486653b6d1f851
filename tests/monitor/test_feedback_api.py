"""Through the service: predictions are logged, feedback is checked and idempotent, and live
accuracy equals the accuracy computed by hand from the same labels."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from textops.serve import create_app

KEY = {"x-api-key": "fb-key"}


@pytest.fixture
def client(
    settings_for: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    monkeypatch.setenv("TEXTOPS_FB_KEY", "fb-key")
    settings = settings_for(
        api_key_env="TEXTOPS_FB_KEY",
        monitor_db=f"sqlite:///{tmp_path / 'monitor.db'}",
        perf_windows=("4", "1h"),
        log_text=True,
    )
    with TestClient(create_app(settings)) as c:
        yield c


def _predict(c: TestClient, texts: list[str]) -> list[dict[str, Any]]:
    r = c.post("/v1/predict", json={"texts": texts}, headers=KEY)
    assert r.status_code == 200
    return list(r.json()["predictions"])


def test_live_accuracy_equals_the_hand_count(client: TestClient) -> None:
    texts = ["bank loan rate", "goal team match", "code laptop app", "tax fund price",
             "league coach cup", "cloud chip data"]  # fmt: skip
    preds = _predict(client, texts)
    truth = ["money", "sport", "tech", "sport", "sport", "money"]  # some deliberately wrong
    items = [
        {"prediction_id": p["prediction_id"], "label": t} for p, t in zip(preds, truth, strict=True)
    ]
    r = client.post("/v1/feedback", json={"items": items}, headers=KEY)
    assert r.status_code == 200 and r.json() == {"accepted": 6}
    # the same feedback again counts once
    assert client.post("/v1/feedback", json=items[0], headers=KEY).status_code == 200
    hand = sum(p["label"] == t for p, t in zip(preds, truth, strict=True)) / len(truth)
    perf = client.get("/v1/monitor/performance", headers=KEY).json()  # no waiting: it reads
    assert perf["overall"]["n_feedback"] == 6  # its own writes
    assert perf["overall"]["accuracy"] == pytest.approx(hand, abs=1e-6)
    assert perf["overall"]["n_predictions"] == 6 and perf["pending_writes"] == 0
    count_window, hour = perf["windows"]
    assert count_window["window"] == "4" and count_window["n_feedback"] == 4
    assert hour["n_feedback"] == 6
    metrics = client.get("/metrics").text
    acc = perf["overall"]["accuracy"]
    assert f'textops_live_accuracy{{model="topics",window="all"}} {acc}' in metrics
    assert "textops_monitor_written_records_total" in metrics
    assert "textops_feedback_total 7.0" in metrics


def test_a_feedback_burst_is_counted_at_once(client: TestClient) -> None:
    texts = [f"bank loan rate number {i}" for i in range(60)]
    preds = _predict(client, texts)
    for p in preds:  # one request each, as a labelling tool sends them
        fb = {"prediction_id": p["prediction_id"], "label": "money"}
        assert client.post("/v1/feedback", json=fb, headers=KEY).status_code == 200
    perf = client.get("/v1/monitor/performance", headers=KEY).json()
    assert perf["overall"]["n_feedback"] == 60 and perf["pending_writes"] == 0


def test_feedback_errors(client: TestClient, settings_for: Any) -> None:
    (pred,) = _predict(client, ["bank loan rate"])
    r = client.post("/v1/feedback", json={"prediction_id": "nope", "label": "sport"}, headers=KEY)
    assert r.status_code == 404 and "unknown prediction_id" in r.json()["error"]
    r = client.post(
        "/v1/feedback",
        json={"prediction_id": pred["prediction_id"], "label": "weather"},
        headers=KEY,
    )
    assert r.status_code == 422 and "'weather' is not a label of topics" in r.json()["error"]
    assert r.json()["detail"] == [{"field": "label", "message": r.json()["error"]}]
    r = client.post("/v1/feedback", json={"prediction_id": pred["prediction_id"]}, headers=KEY)
    assert r.status_code == 422 and "label" in r.json()["error"] + str(r.json()["detail"])
    r = client.post("/v1/feedback", json={"prediction_id": pred["prediction_id"], "label": "sport"})
    assert r.status_code == 401
    r = client.post(
        "/v1/feedback",
        content=b'{"prediction_id": "odd\\ud800", "label": "sport"}',
        headers={**KEY, "content-type": "application/json"},
    )
    assert r.status_code == 422 and "prediction_id" in r.text and "surrogate" in r.text


def test_feedback_is_open_like_predict_on_a_server_without_a_key(
    settings_for: Any, tmp_path: Path
) -> None:
    """Feedback is not an admin route: who may predict may say what the true label was."""
    settings = settings_for(monitor_db=f"sqlite:///{tmp_path / 'open.db'}")
    with TestClient(create_app(settings)) as open_server:  # no key configured
        (pred,) = open_server.post("/v1/predict", json={"texts": ["goal"]}).json()["predictions"]
        r = open_server.post(
            "/v1/feedback", json={"prediction_id": pred["prediction_id"], "label": "sport"}
        )
        assert r.status_code == 200 and r.json() == {"accepted": 1}
        assert open_server.post("/v1/admin/reload").status_code == 403  # admin stays off


def test_feedback_for_a_prediction_already_flushed_is_found_in_the_database(
    client: TestClient, settings_for: Any, tmp_path: Path
) -> None:
    (pred,) = _predict(client, ["goal team match"])
    time.sleep(1.0)  # flushed by now
    # a second server (another worker) on the same database has never seen the id
    with TestClient(create_app(settings_for(
        api_key_env="TEXTOPS_FB_KEY", monitor_db=f"sqlite:///{tmp_path / 'monitor.db'}"
    ))) as other:  # fmt: skip
        r = other.post(
            "/v1/feedback",
            json={"prediction_id": pred["prediction_id"], "label": "sport"},
            headers=KEY,
        )
        assert r.status_code == 200


def test_monitor_routes_say_monitoring_is_off(settings_for: Any) -> None:
    with TestClient(create_app(settings_for(monitor=False))) as c:
        for method, path in [
            ("get", "/v1/monitor/performance"),
            ("get", "/v1/monitor/drift"),
            ("get", "/v1/monitor/timeseries"),
        ]:
            r = getattr(c, method)(path)
            assert r.status_code == 403 and "--no-monitor" in r.json()["error"], path


def test_a_monitor_database_that_cannot_answer_is_a_503_on_every_read(
    settings_for: Any, tmp_path: Path
) -> None:
    # a SQLite file inside a directory that does not exist: every connection fails. Its own
    # home, so the record spilled at shutdown is not replayed by another test's server
    settings = settings_for(
        monitor_db=f"sqlite:///{tmp_path / 'missing' / 'm.db'}", home=str(tmp_path)
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        assert c.post("/v1/predict", json={"texts": ["goal team"]}).status_code == 200
        for path in ("/v1/monitor/performance", "/v1/monitor/timeseries"):
            r = c.get(path)
            assert r.status_code == 503 and "--monitor-db" in r.json()["error"], (path, r.text)
