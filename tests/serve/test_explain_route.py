"""POST /v1/explain: the predict route's key and limits, its schema, 4xx naming the field,
its cost per text in /metrics, and the dashboard's explain view."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Registered
from textops.serve import create_app

TEXT = "football match goal team today"


@pytest.fixture
def client(settings_for: Any) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(max_texts=4, max_chars=200))) as c:
        yield c


def test_explain_scores_every_word_toward_the_predicted_label(
    client: TestClient, registered: Registered
) -> None:
    from textops.explain import explain_texts
    from textops.track import load_classifier

    r = client.post("/v1/explain", json={"texts": [TEXT, "bank loan"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model"] == {"name": "topics", "version": str(registered.versions[0])}
    clf, _ = load_classifier(f"models:/topics/{registered.versions[0]}", registered.tracking_uri)
    first = body["explanations"][0]
    assert first["predicted"] == first["label"] == clf.predict([TEXT])[0]
    assert first["method"] == "occlusion"  # fake embedder + logreg: no exact method
    assert [w["word"] for w in first["words"]] == TEXT.split()
    assert all(TEXT[w["start"] : w["end"]] == w["word"] for w in first["words"])
    (local,) = explain_texts(clf, [TEXT], "occlusion")
    assert [w["score"] for w in first["words"]] == pytest.approx(list(local.scores))
    metrics = client.get("/metrics").text
    assert 'textops_explained_texts_total{method="occlusion"} 2.0' in metrics
    assert 'textops_explain_seconds_per_text_count{method="occlusion"} 1.0' in metrics


def test_a_method_the_model_cannot_use_names_the_field_not_a_cli_flag(client: TestClient) -> None:
    r = client.post("/v1/explain", json={"texts": [TEXT], "method": "linear"})
    assert r.status_code == 400 and '"occlusion"' in r.json()["error"]
    assert "--method" not in r.json()["error"], r.json()


BAD: list[tuple[str, Any, int, str]] = [
    ("no texts", {"texts": []}, 422, "texts"),
    ("unknown method", {"texts": [TEXT], "method": "lime"}, 422, "method"),
    ("method not for this model", {"texts": [TEXT], "method": "linear"}, 400, "method"),
    ("unknown label", {"texts": [TEXT], "label": "weather"}, 422, "label"),
    ("too many texts", {"texts": [TEXT] * 5}, 413, "texts"),
    ("text too long", {"texts": [TEXT, "x" * 201]}, 413, "texts.1"),
    ("unknown field", {"texts": [TEXT], "top": 3}, 422, "top"),
]


@pytest.mark.parametrize(("case", "payload", "status", "names"), BAD, ids=[b[0] for b in BAD])
def test_bad_explain_requests_get_4xx_and_the_server_keeps_serving(
    client: TestClient, case: str, payload: Any, status: int, names: str
) -> None:
    r = client.post("/v1/explain", json=payload)
    assert r.status_code == status, r.text
    body = r.json()
    assert names in body["error"] + str(body.get("detail"))
    assert client.post("/v1/explain", json={"texts": [TEXT]}).status_code == 200


def test_explain_needs_the_key_when_the_server_has_one(
    settings_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEXTOPS_TEST_KEY", "s3cret-key")
    with TestClient(create_app(settings_for(api_key_env="TEXTOPS_TEST_KEY"))) as c:
        assert c.post("/v1/explain", json={"texts": [TEXT]}).status_code == 401
        ok = c.post("/v1/explain", json={"texts": [TEXT]}, headers={"x-api-key": "s3cret-key"})
        assert ok.status_code == 200


def test_the_dashboard_has_the_explain_view_with_the_html_colour_rule(
    client: TestClient,
) -> None:
    from textops.explain import word_style

    page = client.get("/dashboard").text
    assert 'id="explain"' in page and "/v1/explain" in page
    # the same rule as textops.explain.word_style (and `textops explain --html`)
    assert word_style(0.5, 1.0) == "background:rgba(22,163,74,0.400)"
    assert word_style(-1.0, 1.0) == "background:rgba(220,38,38,0.800)"
    assert '"22,163,74"' in page and '"220,38,38"' in page and "* 0.8" in page
