"""Every endpoint, and every bad input: 4xx with a message naming the field, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Registered
from textops.serve import create_app

TEXTS = ["bank loan rate price", "football match goal team", "software laptop code"]


@pytest.fixture
def client(settings_for: Any) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for())) as c:
        yield c


def test_predict_answers_in_input_order_with_probabilities(
    client: TestClient, registered: Registered
) -> None:
    from textops.track import load_classifier

    r = client.post("/v1/predict", json={"texts": TEXTS})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model"] == {"name": "topics", "version": str(registered.versions[0])}
    clf, _ = load_classifier(f"models:/topics/{registered.versions[0]}", registered.tracking_uri)
    assert [p["label"] for p in body["predictions"]] == clf.predict(TEXTS)
    ids = {p["prediction_id"] for p in body["predictions"]}
    assert len(ids) == 3
    for p in body["predictions"]:
        assert set(p["probabilities"]) == set(clf.labels)
        assert abs(sum(p["probabilities"].values()) - 1) < 1e-6
        assert p["label"] == max(p["probabilities"], key=p["probabilities"].get)


def test_model_health_ready_and_metrics(client: TestClient, registered: Registered) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["model"]["version"] == str(registered.versions[0])
    info = client.get("/v1/model").json()
    assert info["name"] == "topics" and info["alias"] == "champion"
    assert info["embedder"] == "fake" and info["head"] == "logreg"
    assert 0 < info["test_metrics"]["macro_f1"] <= 1
    assert info["dataset_fingerprint"]
    assert info["env"]["matches_here"] is True and "numpy" in info["env"]["numeric_packages"]
    client.post("/v1/predict", json={"texts": TEXTS})
    metrics = client.get("/metrics").text
    assert (
        'textops_http_requests_total{method="POST",route="/v1/predict",status="200"} 1.0' in metrics
    )
    assert f'version="{registered.versions[0]}"' in metrics
    assert "textops_batch_texts_bucket" in metrics
    assert "textops_predictions_total{label=" in metrics
    assert "textops_model_load_failures_total 0.0" in metrics
    # process telemetry: this process's CPU time, resident memory, open files
    import re

    rss = re.search(r"^process_resident_memory_bytes (\S+)$", metrics, re.M)
    assert rss and float(rss.group(1)) > 50e6
    assert re.search(r"^process_open_fds \d", metrics, re.M)
    assert re.search(r"^process_cpu_seconds_total \d", metrics, re.M)


BAD: list[tuple[str, Any, int, str]] = [
    ("malformed json", b'{"texts": ["a",', 400, "not valid JSON"),
    ("not an object", b'["a", "b"]', 422, "body"),
    ("missing field", {"text": "a"}, 422, "texts"),
    ("string not list", {"texts": "hello"}, 422, "texts"),
    ("empty list", {"texts": []}, 422, "texts"),
    ("non-string item", {"texts": ["ok", 3]}, 422, "texts.1"),
    ("null item", {"texts": [None]}, 422, "texts.0"),
    ("nested list", {"texts": [["a"]]}, 422, "texts.0"),
    ("unknown field", {"texts": ["a"], "extra": 1}, 422, "extra"),
    ("lone surrogate", b'{"texts": ["ok", "half \\ud800 pair"]}', 422, "texts.1"),
    ("low surrogate", b'{"texts": ["\\udfff"]}', 422, "surrogate"),
    ("too many texts", {"texts": ["a"] * 9}, 413, "texts"),
    ("text too long", {"texts": ["a", "x" * 101]}, 413, "texts.1"),
]


@pytest.mark.parametrize(("case", "payload", "status", "names"), BAD, ids=[b[0] for b in BAD])
def test_bad_requests_get_4xx_naming_the_field_and_the_server_keeps_serving(
    settings_for: Any, case: str, payload: Any, status: int, names: str
) -> None:
    with TestClient(create_app(settings_for(max_texts=8, max_chars=100))) as c:
        if isinstance(payload, bytes):
            r = c.post("/v1/predict", content=payload, headers={"content-type": "application/json"})
        else:
            r = c.post("/v1/predict", json=payload)
        assert r.status_code == status, r.text
        body = r.json()
        assert names in body["error"] + str(body.get("detail"))
        assert c.post("/v1/predict", json={"texts": TEXTS}).status_code == 200


def test_json_sent_as_text_plain_is_415_naming_the_content_type(client: TestClient) -> None:
    body = '{"texts": ["bank loan rate price"]}'
    r = client.post("/v1/predict", content=body, headers={"content-type": "text/plain"})
    assert r.status_code == 415, r.text
    assert "text/plain" in r.json()["error"] and "application/json" in r.json()["error"]
    ok = client.post("/v1/predict", content=body, headers={"content-type": "application/json"})
    assert ok.status_code == 200
    assert client.post("/v1/predict", json={"texts": TEXTS}).status_code == 200


def test_healthz_names_the_model_once_it_is_loaded(
    client: TestClient, registered: Registered
) -> None:
    health = client.get("/healthz").json()
    assert health["status"] == "ok"
    assert health["model"] == {"name": "topics", "version": str(registered.versions[0])}


def test_docs_pages_and_their_assets_come_from_the_service(client: TestClient) -> None:
    page = client.get("/docs").text
    assert "/static/docs/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    assert "/static/docs/redoc.standalone.js" in client.get("/redoc").text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        r = client.get(f"/static/docs/{asset}")
        assert r.status_code == 200 and len(r.content) > 50_000
    assert client.get("/static/docs/..%2Fcore.py").status_code == 404


def test_long_texts_can_be_truncated_instead(settings_for: Any) -> None:
    with TestClient(create_app(settings_for(max_chars=10, long_text="truncate"))) as c:
        r = c.post("/v1/predict", json={"texts": ["bank loan rate price market"]})
        assert r.status_code == 200
        assert "textops_texts_truncated_total 1.0" in c.get("/metrics").text


def test_body_over_the_limit_is_413_by_header_and_by_stream(settings_for: Any) -> None:
    with TestClient(create_app(settings_for(max_body_bytes=2048))) as c:
        big = {"texts": ["word " * 100] * 10}
        r = c.post("/v1/predict", json=big)
        assert r.status_code == 413 and "--max-body-bytes" in r.json()["error"]

        def chunks() -> Iterator[bytes]:
            yield b'{"texts": ["'
            for _ in range(10):
                yield b"x" * 500
            yield b'"]}'

        r = c.post("/v1/predict", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413
        assert c.post("/v1/predict", json={"texts": TEXTS}).status_code == 200
        metrics = c.get("/metrics").text
        assert 'route="/v1/predict",status="413"} 2.0' in metrics, metrics
        assert 'route="unmatched",status="413"' not in metrics


def test_unknown_route_and_wrong_method_are_4xx(client: TestClient) -> None:
    assert client.get("/v1/nothing").status_code == 404
    assert client.get("/v1/predict").status_code == 405


def test_api_key_guards_everything_but_health_and_metrics(
    settings_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEXTOPS_TEST_KEY", "s3cret-key")
    monkeypatch.setenv("TEXTOPS_TEST_ADMIN", "admin-key")
    settings = settings_for(api_key_env="TEXTOPS_TEST_KEY", admin_key_env="TEXTOPS_TEST_ADMIN")
    with TestClient(create_app(settings)) as c:
        for headers in ({}, {"x-api-key": "wrong"}):
            r = c.post("/v1/predict", json={"texts": TEXTS}, headers=headers)
            assert r.status_code == 401 and "x-api-key" in r.json()["error"]
            assert c.get("/v1/model", headers=headers).status_code == 401
        assert c.post("/v1/admin/reload").status_code == 401
        assert c.post("/v1/admin/reload", headers={"x-api-key": "wrong"}).status_code == 403
        ok = {"x-api-key": "s3cret-key"}
        assert c.post("/v1/predict", json={"texts": TEXTS}, headers=ok).status_code == 200
        assert c.get("/v1/model", headers=ok).status_code == 200
        # the predict key does not open admin routes: a client must not reload the model
        denied = c.post("/v1/admin/reload", headers=ok)
        assert denied.status_code == 403 and "admin key" in denied.json()["error"]
        admin = {"x-api-key": "admin-key"}
        reload = c.post("/v1/admin/reload", headers=admin)
        assert reload.status_code == 200 and reload.json()["swapped"] is True
        assert c.post("/v1/predict", json={"texts": TEXTS}, headers=admin).status_code == 200
        for path in ("/healthz", "/readyz", "/metrics"):
            assert c.get(path).status_code == 200


def test_admin_is_refused_when_no_admin_key_is_configured(
    client: TestClient, settings_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = client.post("/v1/admin/reload")
    assert r.status_code == 403 and "--admin-key-env" in r.json()["error"]
    monkeypatch.setenv("TEXTOPS_TEST_KEY", "s3cret-key")
    with TestClient(create_app(settings_for(api_key_env="TEXTOPS_TEST_KEY"))) as c:
        r = c.post("/v1/admin/reload", headers={"x-api-key": "s3cret-key"})
        assert r.status_code == 403 and "--admin-key-env" in r.json()["error"]


def test_the_admin_key_must_differ_from_the_api_key(
    settings_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textops.errors import ConfigError

    monkeypatch.setenv("K1", "same")
    monkeypatch.setenv("K2", "same")
    with pytest.raises(ConfigError, match="key of their own"):
        create_app(settings_for(api_key_env="K1", admin_key_env="K2"))


def test_empty_key_variable_is_a_config_error(
    settings_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textops.errors import ConfigError

    monkeypatch.delenv("TEXTOPS_UNSET_KEY", raising=False)
    with pytest.raises(ConfigError, match="export TEXTOPS_UNSET_KEY"):
        create_app(settings_for(api_key_env="TEXTOPS_UNSET_KEY"))


def test_unloadable_model_starts_not_ready_and_answers_503(settings_for: Any) -> None:
    with TestClient(create_app(settings_for(model_uri="models:/nope@champion"))) as c:
        assert c.get("/healthz").status_code == 200
        r = c.get("/readyz")
        assert r.status_code == 503 and "nope" in r.json()["detail"]
        r = c.post("/v1/predict", json={"texts": TEXTS})
        assert r.status_code == 503 and "not loaded" in r.json()["error"]
        assert "textops_model_load_failures_total 1.0" in c.get("/metrics").text


def test_openapi_spec_types_the_contract(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    req = spec["components"]["schemas"]["PredictRequest"]
    assert req["properties"]["texts"]["type"] == "array" and req["required"] == ["texts"]
    assert {"/v1/predict", "/v1/model", "/healthz", "/readyz", "/metrics"} <= set(spec["paths"])
    assert "422" in spec["paths"]["/v1/predict"]["post"]["responses"]
    assert client.get("/docs").status_code == 200


def _mismatched_holder(registered: Registered) -> Any:
    import asyncio
    import dataclasses

    from textops.serve._model import EnvSummary
    from textops.serve._swap import ModelHolder
    from textops.track import EnvLock, capture_env_lock

    holder = ModelHolder("models:/topics@champion", registered.tracking_uri)
    asyncio.run(holder.refresh())
    here = capture_env_lock()
    lock = EnvLock.from_json(here.as_json())
    lock.packages["numpy"] = "1.0.0"  # the model's lock names another numpy
    assert holder.current is not None
    holder.current = dataclasses.replace(holder.current, env=EnvSummary.of(lock))
    return holder


def test_env_mismatch_warns_by_default_and_refuses_with_strict_env(
    settings_for: Any, registered: Registered, caplog: pytest.LogCaptureFixture
) -> None:
    from textops.errors import ConfigError

    with TestClient(create_app(settings_for(), holder=_mismatched_holder(registered))) as c:
        assert c.post("/v1/predict", json={"texts": TEXTS}).status_code == 200
    from textops.track import capture_env_lock

    here = capture_env_lock().packages["numpy"]
    assert f"numpy 1.0.0 (model) vs {here} (here)" in caplog.text
    strict = create_app(settings_for(strict_env=True), holder=_mismatched_holder(registered))
    with pytest.raises(ConfigError, match="refusing to serve"), TestClient(strict):
        pass


def test_openapi_for_a_tool_integration_has_servers_and_the_key_scheme(settings_for) -> None:  # type: ignore[no-untyped-def]
    spec = create_app(
        settings_for(public_url="https://api.example.com/textops"), load_model=False
    ).openapi()
    assert spec["servers"] == [{"url": "https://api.example.com/textops"}]
    scheme = spec["components"]["securitySchemes"]["APIKeyHeader"]
    assert scheme == {"type": "apiKey", "in": "header", "name": "x-api-key"}
    assert spec["paths"]["/v1/predict"]["post"]["security"] == [{"APIKeyHeader": []}]
