"""Generators end to end on a small Russian and English corpus the test writes: training from
scratch (tracked, registered, champion on perplexity), reproducible sampling sweeps, the
budget, and an OpenAI-compatible endpoint served by a local stub."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from textops.cli import app
from textops.data import Dataset
from textops.gen import Decoding, GenTrainConfig, load_generator, read_generations, train_generator
from textops.track import MlflowTracker, ModelRegistry, default_tracking_uri

SIGNS = ["Овен", "Телец", "Gemini", "Cancer"]
RU = "сегодня звёзды удача любовь работа деньги отдых встреча дорога друзья семья"
EN = "today stars luck love work money rest meeting road friends family"
WORDS = {"ru": RU.split(" "), "en": EN.split(" ")}


def corpus(n: int = 160, seed: int = 0) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        sign = SIGNS[i % 4]
        words = WORDS["ru" if i % 4 < 2 else "en"]
        rows.append((" ".join(rng.sample(words, 6)).capitalize() + f" {i}.", sign))
    return rows


def _cfg(**kw: object) -> GenTrainConfig:
    base = {"dataset": "horo", "model": "scratch", "epochs": 2, "max_length": 32, "vocab_size": 300,
            "batch_size": 16, "timeout": 120}  # fmt: skip
    return GenTrainConfig.model_validate({**base, **kw})


def test_train_from_scratch_is_tracked_registered_and_reloads(horo: Dataset, home: Path) -> None:
    report = train_generator(_cfg(), home=home)
    assert [e.epoch for e in report.epochs] == [1, 2]
    assert report.epochs[1].val_perplexity < report.epochs[0].val_perplexity
    assert report.version == 1 and report.alias == "champion"
    tracker = MlflowTracker(home=home)
    history = tracker.client.get_metric_history(report.run_id, "val_perplexity")
    assert len(history) >= 2
    uri = default_tracking_uri(home)
    from textops.track import download_model

    folder = download_model("models:/horo@champion", uri)
    names = {p.name for p in folder.iterdir()}
    assert {"model.safetensors", "tokenizer.json", "generator.json", "env_lock.json"} <= names
    assert not [n for n in names if n.endswith((".bin", ".pkl", ".pt"))]
    gen = load_generator("models:/horo@champion", uri)
    assert gen.perplexity(horo.texts("validation"), horo.prompts("validation")) == pytest.approx(
        report.val_perplexity, rel=1e-3
    )
    worse = train_generator(_cfg(epochs=1, lr=1e-5), home=home)
    assert worse.alias == "challenger" and worse.comparison is not None
    assert "does not beat" in worse.comparison.reason
    tags = {v.version: v.tags for v in ModelRegistry(uri).versions("horo")}
    assert tags[2]["textops.kind"] == "generator" and float(tags[2]["textops.val_perplexity"]) > 0


def test_the_budget_stops_training_and_the_model_is_still_whole(horo: Dataset, home: Path) -> None:
    report = train_generator(_cfg(epochs=50, timeout=0.5, register_model=False), home=home)
    assert report.stopped_by_budget and 1 <= len(report.epochs) < 50
    assert report.model_uri and report.model_uri.startswith("runs:/")
    gen = load_generator(report.model_uri, default_tracking_uri(home))
    assert len(gen.generate(["Овен"], Decoding(max_new_tokens=5))) == 1


def test_sampling_sweeps_are_reproducible(horo: Dataset, home: Path, tmp_path: Path) -> None:
    train_generator(_cfg(epochs=1), home=home)
    runner = CliRunner()
    outs = []
    for name in ("a.jsonl", "b.jsonl"):
        res = runner.invoke(app, ["gen", "sample", "models:/horo@champion", "--prompt", "Овен",
                                  "--prompt", "Cancer", "--temperature", "0.7,1.2", "--top-p",
                                  "0.8,0.95", "-n", "3", "--max-new-tokens", "8",
                                  "--output", str(tmp_path / name)])  # fmt: skip
        assert res.exit_code == 0, res.output
        outs.append((tmp_path / name).read_text())
    assert outs[0] == outs[1]
    gens = read_generations(tmp_path / "a.jsonl")
    assert len(gens) == 2 * 2 * 2 * 3
    assert {g.setting for g in gens} == {
        "t=0.7,p=0.8",
        "t=0.7,p=0.95",
        "t=1.2,p=0.8",
        "t=1.2,p=0.95",
    }
    assert {g.prompt for g in gens} == {"Овен", "Cancer"} and len({g.seed for g in gens}) == 4


def test_gen_train_timeout_covers_the_whole_command(horo: Dataset, home: Path) -> None:
    """--timeout is the command's budget: training stops early enough that the last
    evaluation, the save and the registration end inside it, and nothing prints a warning
    about tensors or loss types."""
    import time
    import warnings

    began = time.monotonic()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = CliRunner().invoke(app, ["gen", "train", "horo", "--model", "scratch", "--epochs",
                                       "500", "--timeout", "8", "--max-length", "32",
                                       "--json"])  # fmt: skip
    took = time.monotonic() - began
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["stopped_by_budget"] and report["version"] == 1
    assert report["seconds"] <= 8, report["seconds"]
    assert took < 8 + 5, took  # the CLI's own start-up is outside the budget
    said = [str(w.message) for w in caught] + [res.output]
    assert not [m for m in said if "requires_grad" in m or "loss_type" in m], said


def test_beam_search_is_one_text_per_prompt_and_labelled(
    horo: Dataset, home: Path, tmp_path: Path
) -> None:
    train_generator(_cfg(epochs=1), home=home)
    gen = load_generator("models:/horo@champion", default_tracking_uri(home))
    beams = [
        gen.generate(
            ["Овен", "Cancer"], Decoding(temperature=0, max_new_tokens=6, num_beams=3), seed=seed
        )
        for seed in (1, 2)
    ]
    assert beams[0] == beams[1] and len(beams[0]) == 2
    out = str(tmp_path / "b.jsonl")
    res = CliRunner().invoke(app, ["gen", "sample", "models:/horo@champion", "--prompt", "Овен",
                                   "--temperature", "0", "--top-p", "0.95", "--num-beams", "2",
                                   "-n", "2", "--max-new-tokens", "6", "--output", out])  # fmt: skip
    assert res.exit_code == 0, res.output
    gens = read_generations(tmp_path / "b.jsonl")
    assert {g.setting for g in gens} == {"t=0,p=0.95,beams=2"} and len(gens) == 2
    assert len({g.text for g in gens}) == 1
    res = CliRunner().invoke(app, ["gen", "sample", "models:/horo@champion", "--prompt", "a",
                                   "--num-beams", "17"])  # fmt: skip
    assert res.exit_code == 2 and "num-beams" in res.output


@pytest.fixture
def stub_llm() -> Iterator[tuple[str, list[dict[str, object]]]]:
    seen: list[dict[str, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            seen.append({**body, "auth": self.headers.get("authorization")})
            text = f"stub says {body['messages'][0]['content']} t={body.get('temperature')}"
            answer = {"choices": [{"message": {"role": "assistant", "content": text}}]}
            data = json.dumps(answer).encode()
            self.send_response(200 if self.path == "/v1/chat/completions" else 404)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    server.shutdown()


def test_an_openai_compatible_endpoint_is_swept_like_a_model(
    stub_llm: tuple[str, list[dict[str, object]]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen = stub_llm
    monkeypatch.setenv("STUB_KEY", "sk-test")
    out = tmp_path / "llm.jsonl"
    res = CliRunner().invoke(app, ["gen", "sample", "--endpoint", url, "--endpoint-model", "m",
                                   "--api-key-env", "STUB_KEY", "--prompt", "Овен",
                                   "--temperature", "0.5", "--top-p", "0.9", "-n", "2",
                                   "--output", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    gens = read_generations(out)
    assert [g.text for g in gens] == ["stub says Овен t=0.5"] * 2
    assert all(s["auth"] == "Bearer sk-test" and s["top_p"] == 0.9 for s in seen)
    assert all("top_k" not in s and "repetition_penalty" not in s for s in seen)  # unset: not sent
    res = CliRunner().invoke(app, ["gen", "sample", "--endpoint", url, "--endpoint-model", "m",
                                   "--prompt", "a", "-n", "1", "--temperature", "1", "--top-p",
                                   "1", "--top-k", "5", "--repetition-penalty", "1.3",
                                   "--output", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert (seen[-1]["top_k"], seen[-1]["repetition_penalty"]) == (5, 1.3)
    res = CliRunner().invoke(app, ["gen", "sample", "--endpoint", url, "--endpoint-model", "m",
                                   "--no-repeat-ngram-size", "2", "--output", str(out)])  # fmt: skip
    assert res.exit_code == 2 and "no-repeat-ngram-size" in res.output
    bad = CliRunner().invoke(app, ["gen", "sample", "--endpoint", "http://127.0.0.1:9/v1",
                                   "--endpoint-model", "m", "--output", str(out)])  # fmt: skip
    assert bad.exit_code == 2 and "endpoint http://127.0.0.1:9/v1 failed" in bad.output


def test_a_local_causal_lm_folder_is_fine_tuned(horo: Dataset, home: Path, tmp_path: Path) -> None:
    """--model PATH: a user's own Hugging Face folder (here a tiny GPT-2 with a tokenizer that
    has none of textops' special tokens)."""
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    from textops.gen._tokenizer import train_tokenizer

    base = train_tokenizer([t for t, _ in corpus()], 300)
    plain = PreTrainedTokenizerFast(tokenizer_object=base.backend_tokenizer, eos_token="<|pad|>")
    folder = tmp_path / "my-gpt2"
    GPT2LMHeadModel(GPT2Config(vocab_size=len(plain), n_positions=64, n_layer=1, n_embd=32,
                               n_head=2)).save_pretrained(folder)  # fmt: skip
    plain.save_pretrained(folder)
    report = train_generator(_cfg(model=str(folder), epochs=2, lr=1e-3), home=home)
    assert report.epochs[-1].val_perplexity < report.epochs[0].val_perplexity
    from textops.track import download_model

    saved = download_model(report.model_uri, default_tracking_uri(home))
    assert json.loads((saved / "generator.json").read_text())["base_model"] == str(folder)
    gen = load_generator(report.model_uri, default_tracking_uri(home))
    assert len(gen.generate(["Овен", "Cancer"], Decoding(max_new_tokens=4))) == 2


def test_models_promote_and_rollback_work_for_generators(horo: Dataset, home: Path) -> None:
    train_generator(_cfg(), home=home)
    train_generator(_cfg(epochs=1, lr=1e-5), home=home)  # worse: challenger
    uri = default_tracking_uri(home)
    runner = CliRunner()
    refused = runner.invoke(app, ["models", "promote", "horo", "2", "--tracking-uri", uri])
    assert refused.exit_code == 1 and "validation perplexity" in refused.output
    forced = runner.invoke(app, ["models", "promote", "horo", "2", "--gate", "none",
                                 "--tracking-uri", uri])  # fmt: skip
    assert forced.exit_code == 0 and "champion is now v2" in forced.output
    back = runner.invoke(app, ["models", "rollback", "horo", "--tracking-uri", uri])
    assert back.exit_code == 0 and "champion back to v1" in back.output
    sig = runner.invoke(app, ["models", "promote", "horo", "2", "--gate", "significant",
                              "--tracking-uri", uri])  # fmt: skip
    assert sig.exit_code == 2 and "no paired test for generators" in sig.output


def test_a_local_seq2seq_folder_is_fine_tuned(horo: Dataset, home: Path, tmp_path: Path) -> None:
    """--model PATH of an encoder-decoder (a tiny T5): the prompt is the input, the text the
    output; perplexity, sampling and reloading follow."""
    from transformers import PreTrainedTokenizerFast, T5Config, T5ForConditionalGeneration

    from textops.gen._tokenizer import train_tokenizer

    base = train_tokenizer([t for t, _ in corpus()] + SIGNS, 300)
    tok = PreTrainedTokenizerFast(tokenizer_object=base.backend_tokenizer,
                                  pad_token="<|pad|>", eos_token="<|endoftext|>")  # fmt: skip
    folder = tmp_path / "my-t5"
    cfg = T5Config(vocab_size=len(tok), d_model=32, d_kv=8, d_ff=64, num_layers=1, num_heads=2,
                   pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
                   decoder_start_token_id=tok.pad_token_id)  # fmt: skip
    T5ForConditionalGeneration(cfg).save_pretrained(folder)
    tok.save_pretrained(folder)
    report = train_generator(_cfg(model=str(folder), epochs=3, lr=3e-3), home=home)
    assert report.epochs[-1].val_perplexity < report.epochs[0].val_perplexity
    gen = load_generator(report.model_uri, default_tracking_uri(home))
    assert gen.seq2seq
    assert gen.perplexity(horo.texts("validation"), horo.prompts("validation")) == pytest.approx(
        report.val_perplexity, rel=1e-3
    )
    first = gen.generate(["Овен", "Cancer"], Decoding(max_new_tokens=6), seed=3)
    assert len(first) == 2 and first == gen.generate(
        ["Овен", "Cancer"], Decoding(max_new_tokens=6), seed=3
    )
