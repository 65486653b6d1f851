"""A registered generator served: POST /v1/generate with the predict route's key and limits,
/v1/predict answering 409, the model card, metrics, and hot swap to a new version."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from textops.serve import ServeSettings, create_app


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
    (
        "temperature the sampler cannot use",
        {"prompts": ["a"], "temperature": 1e-300},
        422,
        "temperature",
    ),
    ("negative temperature", {"prompts": ["a"], "temperature": -1}, 422, "temperature"),
    ("top_p over one", {"prompts": ["a"], "top_p": 1.5}, 422, "top_p"),
    ("unknown field", {"prompts": ["a"], "beam": 4}, 422, "beam"),
    ("beams x n over max_texts", {"prompts": ["a"], "n": 2, "num_beams": 4}, 413, "num_beams=4"),
    ("too many beams", {"prompts": ["a"], "num_beams": 9}, 422, "num_beams"),
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


def test_a_prompt_over_the_context_is_refused_with_the_limit(gen_home: Path) -> None:
    """A prompt under --max-chars can still be longer than the model's context (32 positions
    here): 413 naming the prompt and the limit, where the model raised IndexError (500)."""
    with TestClient(create_app(_settings(gen_home, max_chars=20_000, max_new_tokens=4096))) as c:
        r = c.post("/v1/generate", json={"prompts": ["ok", "x y z " * 900]})
        assert r.status_code == 413, r.text
        assert "prompts.1" in r.json()["error"] and "context of 32 tokens" in r.json()["error"]
        assert r.json()["detail"][0]["field"] == "prompts.1"
        r = c.post("/v1/generate", json={"prompts": ["ok"], "max_new_tokens": 500})
        assert r.status_code == 413 and "max_new_tokens" in r.json()["error"]
        assert c.post("/v1/generate", json={"prompts": ["ok"], "max_new_tokens": 8}).is_success
        spec = c.get("/openapi.json").json()["components"]["schemas"]["GenerateRequest"]
        assert {"type": "integer", "minimum": 1, "maximum": 4096} in spec["properties"][
            "max_new_tokens"
        ]["anyOf"]


def test_temperature_zero_is_greedy_decoding(client: TestClient) -> None:
    """0 picks the most likely token each step: the same text whatever the seed."""
    body = {"prompts": ["Овен"], "temperature": 0, "n": 2, "max_new_tokens": 6}
    texts = [client.post("/v1/generate", json={**body, "seed": seed}).json() for seed in (1, 2)]
    assert texts[0]["temperature"] == 0
    outs = [t for body in texts for t in body["generations"][0]["texts"]]
    assert len(set(outs)) == 1, outs


def test_beam_search_is_deterministic_at_temperature_zero(client: TestClient) -> None:
    """Beams at temperature 0: the most likely text of the beams, whatever the seed; the
    answer says how many beams were used."""
    body = {"prompts": ["Овен", "Cancer"], "temperature": 0, "num_beams": 3, "max_new_tokens": 6}
    outs = [client.post("/v1/generate", json={**body, "seed": seed}).json() for seed in (1, 2)]
    assert outs[0]["num_beams"] == 3
    assert outs[0]["generations"] == outs[1]["generations"]
    assert all(g["texts"][0].strip() for g in outs[0]["generations"])


def test_a_generator_takes_no_feedback_and_has_no_live_accuracy(client: TestClient) -> None:
    """409 like /v1/predict (it has no labels), not 422 "the model's labels are []"; and no
    performance of predictions it never made."""
    r = client.post("/v1/feedback", json={"prediction_id": "x" * 32, "label": "a"})
    assert r.status_code == 409 and "generator" in r.json()["error"]
    r = client.get("/v1/monitor/performance")
    assert r.status_code == 409 and "generator" in r.json()["error"]


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
    monkeypatch.setenv("GEN_ADMIN", "k-admin")
    settings = _settings(gen_home, api_key_env="GEN_KEY", admin_key_env="GEN_ADMIN")
    with TestClient(create_app(settings)) as c:
        assert c.post("/v1/generate", json={"prompts": ["a"]}).status_code == 401
        key = {"x-api-key": "k-1"}
        train_generator(GenTrainConfig(dataset="horo", model="scratch", epochs=3, max_length=32,
                                       vocab_size=300, lr=1e-3), home=gen_home)  # fmt: skip
        r = c.post("/v1/admin/reload", headers={"x-api-key": "k-admin"})
        assert r.status_code == 200, r.text
        assert r.json()["model"]["version"] == "2"
        ok = c.post("/v1/generate", json={"prompts": ["a"], "max_new_tokens": 2}, headers=key)
        assert ok.status_code == 200 and ok.json()["model"]["version"] == "2"


def test_decoding_choices_reach_the_model_and_are_echoed(client: TestClient) -> None:
    """top_k 1 leaves only the most likely token: hot sampling writes the greedy text; the
    answer says which choices were used; a penalty below 1 is refused by name."""
    greedy = {"prompts": ["Овен"], "temperature": 0, "max_new_tokens": 6}
    want = client.post("/v1/generate", json=greedy).json()["generations"][0]["texts"]
    body = {**greedy, "temperature": 2.0, "top_p": 1.0, "top_k": 1, "n": 3,
            "repetition_penalty": 1.0, "no_repeat_ngram_size": 0, "seed": 5}  # fmt: skip
    out = client.post("/v1/generate", json=body).json()
    assert out["generations"][0]["texts"] == want * 3
    assert (out["top_k"], out["repetition_penalty"], out["no_repeat_ngram_size"]) == (1, 1.0, 0)
    blocked = client.post("/v1/generate", json={**greedy, "no_repeat_ngram_size": 1}).json()
    assert blocked["no_repeat_ngram_size"] == 1
    bad = client.post("/v1/generate", json={**greedy, "repetition_penalty": 0.5})
    assert bad.status_code == 422 and "repetition_penalty" in bad.text


def test_the_generator_overview_counts_live_generation(client: TestClient, tmp_path: Path) -> None:
    """GET /v1/generate/overview: the dashboard's data (the latest sweep is drawn by the
    browser test); its counters follow /v1/generate."""
    from textops.gen import latest_eval

    before = client.get("/v1/generate/overview").json()
    assert before["model"] == "horo"
    assert before["sweep"] is not None or "gen eval" in before["note"]
    client.post("/v1/generate", json={"prompts": ["Овен"], "max_new_tokens": 4, "seed": 1})
    after = client.get("/v1/generate/overview").json()
    assert after["requests"] == before["requests"] + 1 and after["tokens"] > before["tokens"]
    assert latest_eval(f"sqlite:///{tmp_path / 'empty.db'}", "horo") is None


def test_the_latest_sweep_is_found_each_time_and_read_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow.tracking import MlflowClient

    from textops.gen import GenEvalReport, SettingScores, latest_eval, log_eval
    from textops.track import MlflowTracker

    uri = f"sqlite:///{tmp_path / 'm.db'}"
    scores = [SettingScores("t=1,p=1", 1.0, 1.0, 2, 0.5, 0.4, 0.3, 0.2, 3.0, examples=("a",))]
    report = GenEvalReport("fake", scores, generator="models:/horo@champion")
    first = log_eval(report, MlflowTracker(uri), "gen-eval a")
    reads: list[str] = []
    download = MlflowClient.download_artifacts
    monkeypatch.setattr(MlflowClient, "download_artifacts",
                        lambda self, run, *a: reads.append(run) or download(self, run, *a))  # fmt: skip
    assert [latest_eval(uri, "horo").run_id for _ in range(3)] == [first] * 3  # type: ignore[union-attr]
    assert reads == [first]
    second = log_eval(report, MlflowTracker(uri), "gen-eval b")  # a newer sweep is seen
    assert latest_eval(uri, "horo").run_id == second  # type: ignore[union-attr]
    assert latest_eval(uri, "other") is None
