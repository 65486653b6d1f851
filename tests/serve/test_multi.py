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
