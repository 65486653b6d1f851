"""Several models in one service: each at /v1/models/NAME/..., the first also at /v1/predict,
one batcher and hot swap per model, per-model metrics, and one embedder in memory for models
that share it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

KEY = {"x-api-key": "mm"}
ADMIN = {"x-api-key": "mm-admin"}


@pytest.fixture
def client(
    two_models: tuple[Path, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[TestClient]:
    from textops.serve import ServeSettings, create_app

    home, uri = two_models
    monkeypatch.setenv("MM_KEY", "mm")
    monkeypatch.setenv("MM_ADMIN", "mm-admin")
    settings = ServeSettings(
        model_uri="models:/spam@champion",
        also_serve=("models:/route@champion",),
        home=str(home),
        tracking_uri=uri,
        poll_seconds=0,
        api_key_env="MM_KEY",
        admin_key_env="MM_ADMIN",
        monitor_db=f"sqlite:///{tmp_path / 'm.db'}",
    )
    with TestClient(create_app(settings)) as c:
        yield c


def test_each_model_at_its_own_routes(client: TestClient) -> None:
    texts = {"texts": ["goal team match", "bank loan rate"]}
    first = client.post("/v1/predict", json=texts, headers=KEY).json()
    assert first["model"]["name"] == "spam"
    for name in ("spam", "route"):
        r = client.post(f"/v1/models/{name}/predict", json=texts, headers=KEY)
        assert r.status_code == 200 and r.json()["model"]["name"] == name
        e = client.post(f"/v1/models/{name}/explain", json={"texts": ["goal team"]}, headers=KEY)
        assert e.status_code == 200 and e.json()["model"]["name"] == name
        assert client.get(f"/v1/models/{name}", headers=KEY).json()["name"] == name
    listed = client.get("/v1/models", headers=KEY).json()["models"]
    assert [m["name"] for m in listed] == ["spam", "route"]
    # route held no rows out (few labels): its score is the CV estimate, spam's a test score
    route = client.get("/v1/models/route", headers=KEY).json()
    assert route["test_metrics"] == {} and 0 < route["cv_estimate"]["macro_f1"] <= 1
    spam = client.get("/v1/models/spam", headers=KEY).json()
    assert 0 < spam["test_metrics"]["macro_f1"] <= 1 and spam["cv_estimate"] == {}
    missing = client.post("/v1/models/nope/predict", json=texts, headers=KEY)
    assert missing.status_code == 404 and "route" in missing.json()["error"]
    # feedback on the second model's predictions, checked against its labels
    pred = client.post("/v1/models/route/predict", json={"texts": ["cloud chip"]}, headers=KEY)
    pid = pred.json()["predictions"][0]["prediction_id"]
    fb = client.post(
        "/v1/models/route/feedback", json={"prediction_id": pid, "label": "tech"}, headers=KEY
    )
    assert fb.status_code == 200 and fb.json() == {"accepted": 1}
    metrics = client.get("/metrics").text
    assert 'textops_model_texts_total{model="route"}' in metrics
    assert 'textops_model_texts_total{model="spam"}' in metrics
    info = [line for line in metrics.splitlines() if line.startswith("textops_model_info{")]
    assert sorted('name="route"' in x for x in info) == [False, True]  # one series per model
    assert any('name="spam"' in x for x in info)


def test_models_on_one_embedder_share_it(client: TestClient) -> None:
    slots = client.app.state.service.slots  # type: ignore[attr-defined]
    a, b = slots["spam"].holder.get().clf, slots["route"].holder.get().clf
    assert a.head is not b.head
    assert a.embedder is b.embedder  # one encoder in memory for both heads
    assert slots["spam"].batcher is not slots["route"].batcher


def test_each_model_follows_its_own_alias(client: TestClient, two_models: tuple[Path, str]) -> None:
    """A new champion of the second model swaps in without touching the first."""
    from textops.search import SearchConfig, run_search
    from textops.track import MlflowTracker, ModelRegistry

    home, uri = two_models
    cfg = SearchConfig(
        dataset="topics",
        embedders=("fake",),
        heads=("logreg",),
        trials=2,
        cv_folds=3,
        model_name="route",
        study="route-2",
        gate="none",
    )
    report = run_search(cfg, home=home, tracker=MlflowTracker(home=home), show_progress=False)
    ModelRegistry(uri).promote("route", int(report.model_version or 0))
    r = client.post("/v1/admin/reload", headers=ADMIN).json()
    assert r["model"]["name"] == "spam"
    (other,) = r["others"]
    assert other["model"] == {"name": "route", "version": str(report.model_version)}
    served = client.post("/v1/models/route/predict", json={"texts": ["cloud chip"]}, headers=KEY)
    assert served.json()["model"]["version"] == str(report.model_version)
    assert (
        client.post("/v1/predict", json={"texts": ["x"]}, headers=KEY).json()["model"]["name"]
        == "spam"
    )


def _predict(client: TestClient, name: str, texts: list[str]) -> list[str]:
    r = client.post(f"/v1/models/{name}/predict", json={"texts": texts}, headers=KEY)
    assert r.status_code == 200, r.text
    return [p["prediction_id"] for p in r.json()["predictions"]]


def test_feedback_must_name_a_prediction_and_a_label_of_that_model(client: TestClient) -> None:
    """A prediction of spam sent to route's feedback, or a label neither has, is a 422 naming
    the item; nothing of such a call is stored (one stray row used to block retrain)."""
    (spam_id,) = _predict(client, "spam", ["goal team match"])
    route_ids = _predict(client, "route", ["cloud chip", "bank loan"])
    r = client.post("/v1/models/route/feedback", json={"prediction_id": spam_id, "label": "tech"},
                    headers=KEY)  # fmt: skip
    assert r.status_code == 422 and "not made by route" in r.json()["error"], r.text
    assert r.json()["detail"][0]["field"] == "prediction_id"
    items = [{"prediction_id": route_ids[0], "label": "tech"},
             {"prediction_id": spam_id, "label": "sport"}]  # fmt: skip
    r = client.post("/v1/models/route/feedback", json={"items": items}, headers=KEY)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "items.1.prediction_id"
    r = client.post("/v1/feedback", json={"items": [{"prediction_id": spam_id,
                                                     "label": "weather"}]}, headers=KEY)  # fmt: skip
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "items.0.label"
    # a forged id (its signature broken) is unknown, not accepted
    forged = route_ids[1][:-4] + ("AAAA" if route_ids[1][-4:] != "AAAA" else "BBBB")
    r = client.post("/v1/models/route/feedback", json={"prediction_id": forged, "label": "tech"},
                    headers=KEY)  # fmt: skip
    assert r.status_code == 404, r.text
    perf = client.get("/v1/monitor/performance", params={"model": "route"}, headers=KEY).json()
    assert perf["overall"]["n_feedback"] == 0  # the refused calls stored nothing
    ok = client.post("/v1/models/route/feedback", json={"items": items[:1]}, headers=KEY)
    assert ok.status_code == 200


def test_an_id_of_the_old_form_is_checked_against_the_database(
    client: TestClient, tmp_path: Path
) -> None:
    """Ids made before signed ids (32 hex digits) are looked up: the model that made them
    must be the one the feedback goes to."""
    import time

    from textops.monitor import MonitorStore

    store = MonitorStore(f"sqlite:///{tmp_path / 'm.db'}")
    row = {"prediction_id": "ab" * 16, "ts": time.time(), "model_name": "spam",
           "model_version": "1", "text_sha256": "0" * 64, "text": None, "text_chars": 3,
           "label": "sport", "probabilities": {}, "latency_ms": 1.0}  # fmt: skip
    store.write([row], [])
    store.dispose()
    body = {"prediction_id": "ab" * 16, "label": "tech"}
    r = client.post("/v1/models/route/feedback", json=body, headers=KEY)
    assert r.status_code == 422 and "made by spam" in r.json()["error"]
    assert client.post("/v1/feedback", json=body, headers=KEY).status_code == 200


def test_every_monitoring_read_is_of_one_model(client: TestClient) -> None:
    spam = _predict(client, "spam", ["goal team", "bank loan", "cloud chip"])
    route = _predict(client, "route", [f"match {i}" for i in range(5)])
    items = [{"prediction_id": pid, "label": "sport"} for pid in route[:2]]
    assert client.post("/v1/models/route/feedback", json={"items": items}, headers=KEY).is_success
    assert spam  # predictions of the first model, which must not count for the second
    of = {}
    for name in ("spam", "route"):
        perf = client.get("/v1/monitor/performance", params={"model": name}, headers=KEY).json()
        ts = client.get("/v1/monitor/timeseries", params={"model": name}, headers=KEY).json()
        of[name] = (perf["overall"]["n_predictions"], perf["overall"]["n_feedback"], ts["n"])
        assert perf["model"]["name"] == name
    assert of == {"spam": (3, 0, 3), "route": (5, 2, 5)}
    first = client.get("/v1/monitor/performance", headers=KEY).json()
    assert first["model"]["name"] == "spam"  # the default: the first served model
    every = client.get(
        "/v1/monitor/performance", params={"model": "route", "version": "all"}, headers=KEY
    ).json()
    assert every["model"]["version"] is None and every["overall"]["n_predictions"] == 5
    other = client.get(
        "/v1/monitor/performance", params={"model": "route", "version": "99"}, headers=KEY
    ).json()
    assert other["overall"]["n_predictions"] == 0
    drift = client.get("/v1/monitor/drift", params={"model": "route"}, headers=KEY).json()
    assert drift["model"]["name"] == "route"
    assert client.get("/v1/monitor/drift", params={"model": "x"}, headers=KEY).status_code == 404
