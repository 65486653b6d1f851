"""A registered generator served: POST /v1/generate with the predict route's key and limits,
/v1/predict answering 409, the model card, metrics, and hot swap to a new version."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.gen.test_gen import corpus
from textops.serve import ServeSettings, create_app


@pytest.fixture(scope="module")
def gen_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from textops.data import IngestConfig, MemorySource, ingest
    from textops.gen import GenTrainConfig, train_generator

    home = tmp_path_factory.mktemp("gen-serve")
    ingest([MemorySource("horo", corpus())], "horo", IngestConfig(task="generation"), home=home)
    train_generator(GenTrainConfig(dataset="horo", epochs=1, max_length=32, vocab_size=300),
                    home=home)  # fmt: skip
    return home


def _settings(home: Path, **kw: Any) -> ServeSettings:
    from textops.track import default_tracking_uri

    base = {"model_uri": "models:/horo@champion", "tracking_uri": default_tracking_uri(home),
            "home": str(home), "poll_seconds": 0, "max_texts": 6, "max_chars": 50,
            "max_new_tokens": 16}  # fmt: skip
    return ServeSettings.model_validate({**base, **kw})


@pytest.fixture
def client(gen_home: Path) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(gen_home))) as c:
        yield c


def test_generate_answers_n_texts_per_prompt_reproducibly(client: TestClient) -> None:
    body = {"prompts": ["Овен", "Cancer"], "n": 2, "temperature": 0.9, "max_new_tokens": 8,
            "seed": 7}  # fmt: skip
    r = client.post("/v1/generate", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["model"] == {"name": "horo", "version": "1"}
    assert [g["prompt"] for g in out["generations"]] == ["Овен", "Cancer"]
    assert all(len(g["texts"]) == 2 for g in out["generations"])
    assert (out["temperature"], out["max_new_tokens"], out["seed"]) == (0.9, 8, 7)
    assert client.post("/v1/generate", json=body).json() == out  # same seed, same texts
    metrics = client.get("/metrics").text
    assert (
        "textops_generated_tokens_total" in metrics
        and "textops_generate_seconds_count 2.0" in metrics
    )
    info = client.get("/v1/model").json()
    assert info["kind"] == "generator" and info["test_metrics"]["val_perplexity"] > 0


BAD: list[tuple[str, Any, int, str]] = [
    ("no prompts", {"prompts": []}, 422, "prompts"),
    ("prompts x n over max_texts", {"prompts": ["a", "b"], "n": 4}, 413, "n:"),
    ("too many tokens", {"prompts": ["a"], "max_new_tokens": 17}, 413, "max_new_tokens"),
    ("prompt too long", {"prompts": ["a", "x" * 51]}, 413, "prompts.1"),
    ("temperature zero", {"prompts": ["a"], "temperature": 0}, 422, "temperature"),
    ("top_p over one", {"prompts": ["a"], "top_p": 1.5}, 422, "top_p"),
    ("unknown field", {"prompts": ["a"], "beam": 4}, 422, "beam"),
]


@pytest.mark.parametrize(("case", "payload", "status", "names"), BAD, ids=[b[0] for b in BAD])
def test_bad_generate_requests_get_4xx_and_the_server_keeps_serving(
    client: TestClient, case: str, payload: Any, status: int, names: str
) -> None:
    r = client.post("/v1/generate", json=payload)
    assert r.status_code == status, r.text
    body = r.json()
    assert names in body["error"] + str(body.get("detail"))
    assert (
        client.post("/v1/generate", json={"prompts": ["Овен"], "max_new_tokens": 2}).status_code
        == 200
    )


def test_predict_on_a_generator_is_409_and_generate_on_a_classifier_too(
    client: TestClient, settings_for: Any
) -> None:
    r = client.post("/v1/predict", json={"texts": ["hello"]})
    assert r.status_code == 409 and "/v1/generate" in r.json()["error"]
    with TestClient(create_app(settings_for())) as c:
        r = c.post("/v1/generate", json={"prompts": ["a"]})
        assert r.status_code == 409 and "/v1/predict" in r.json()["error"]


def test_generate_needs_the_key_and_hot_swaps(
    gen_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textops.gen import GenTrainConfig, train_generator

    monkeypatch.setenv("GEN_KEY", "k-1")
    with TestClient(create_app(_settings(gen_home, api_key_env="GEN_KEY"))) as c:
        assert c.post("/v1/generate", json={"prompts": ["a"]}).status_code == 401
        key = {"x-api-key": "k-1"}
        train_generator(GenTrainConfig(dataset="horo", epochs=3, max_length=32, vocab_size=300,
                                       lr=1e-3), home=gen_home)  # fmt: skip
        r = c.post("/v1/admin/reload", headers=key)
        assert r.status_code == 200, r.text
        assert r.json()["model"]["version"] == "2"
        ok = c.post("/v1/generate", json={"prompts": ["a"], "max_new_tokens": 2}, headers=key)
        assert ok.status_code == 200 and ok.json()["model"]["version"] == "2"
