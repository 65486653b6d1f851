"""Decoding choices: one typed value from ``gen sample``, ``/v1/generate`` and sweeps to
``model.generate``; each choice changes what a trained generator writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from textops.cli import app
from textops.data import Dataset
from textops.errors import ConfigError
from textops.gen import (
    Decoding,
    SamplingDefaults,
    load_generator,
    read_generations,
    train_generator,
)
from textops.track import default_tracking_uri

from .test_gen import _cfg

BAD = [
    ("temperature", {"temperature": 1e-9}),
    ("temperature", {"temperature": 6.0}),
    ("top_p", {"top_p": 0.0}),
    ("top_k", {"top_k": -1}),
    ("num_beams", {"num_beams": 0}),
    ("repetition_penalty", {"repetition_penalty": 0.5}),
    ("no_repeat_ngram_size", {"no_repeat_ngram_size": -2}),
    ("max_new_tokens", {"max_new_tokens": 0}),
]


@pytest.mark.parametrize(
    ("field", "kw"), BAD, ids=[f"{f}={v}" for f, kw in BAD for v in kw.values()]
)
def test_out_of_range_choices_are_refused_by_name(field: str, kw: dict[str, float]) -> None:
    with pytest.raises(ConfigError, match=field):
        Decoding(**kw)  # type: ignore[arg-type]


def test_a_decoding_resolves_to_generate_arguments_and_names_itself() -> None:
    defaults = SamplingDefaults(temperature=0.7, top_p=0.9, max_new_tokens=20)
    greedy = Decoding(temperature=0).resolved(defaults)
    assert greedy.generate_kwargs() == {"do_sample": False, "num_beams": 1, "max_new_tokens": 20}
    full = Decoding(top_k=40, repetition_penalty=1.3, no_repeat_ngram_size=3, num_beams=2)
    how = full.resolved(defaults).generate_kwargs()
    assert how == {"do_sample": True, "num_beams": 2, "max_new_tokens": 20, "early_stopping": True,
                   "temperature": 0.7, "top_p": 0.9, "top_k": 40, "repetition_penalty": 1.3,
                   "no_repeat_ngram_size": 3}  # fmt: skip
    assert full.resolved(defaults).label == "t=0.7,p=0.9,k=40,beams=2,rep=1.3,ngram=3"
    assert Decoding(temperature=1, top_p=0.5).label == "t=1,p=0.5"


def test_each_choice_changes_what_a_trained_generator_writes(horo: Dataset, home: Path) -> None:
    train_generator(_cfg(epochs=2), home=home)
    gen = load_generator("models:/horo@champion", default_tracking_uri(home))
    prompts = ["Овен", "Cancer", "Gemini"]
    greedy = gen.generate(prompts, Decoding(temperature=0, max_new_tokens=10))
    # top-k 1 keeps only the most likely token: hot sampling becomes greedy, whatever the seed
    hot = Decoding(temperature=2.0, top_p=1.0, max_new_tokens=10)
    for seed in (1, 2):
        assert gen.generate(prompts, Decoding(**{**vars(hot), "top_k": 1}), seed=seed) == greedy
    assert any(gen.generate(prompts, hot, seed=s) != greedy for s in (1, 2))
    # a barely trained model loops; blocking repeated tokens or penalising them breaks loops
    no_repeat = gen.generate(prompts, Decoding(temperature=0, max_new_tokens=10,
                                               no_repeat_ngram_size=1))  # fmt: skip
    penalised = gen.generate(prompts, Decoding(temperature=0, max_new_tokens=10,
                                               repetition_penalty=5.0))  # fmt: skip
    assert no_repeat != greedy and penalised != greedy


def test_gen_sample_records_the_choices_and_gen_eval_groups_by_them(
    horo: Dataset,
    home: Path,
    tmp_path: Path,
) -> None:
    train_generator(_cfg(epochs=1), home=home)
    out = tmp_path / "g.jsonl"
    res = CliRunner().invoke(app, ["gen", "sample", "models:/horo@champion", "--prompt", "Овен",
                                   "--temperature", "0.7,1.0", "--top-p", "0.9", "-n", "2",
                                   "--top-k", "20", "--repetition-penalty", "1.2",
                                   "--no-repeat-ngram-size", "2", "--max-new-tokens", "6",
                                   "--output", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    gens = read_generations(out)
    assert {g.setting for g in gens} == {"t=0.7,p=0.9,k=20,rep=1.2,ngram=2",
                                         "t=1,p=0.9,k=20,rep=1.2,ngram=2"}  # fmt: skip
    assert all((g.top_k, g.repetition_penalty, g.no_repeat_ngram_size) == (20, 1.2, 2)
               for g in gens)  # fmt: skip
    res = CliRunner().invoke(app, ["gen", "eval", str(out), "--embedder", "fake", "--no-log",
                                   "--tracking-uri", default_tracking_uri(home), "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "t=1,p=0.9,k=20,rep=1.2,ngram=2" in res.output
    bad = CliRunner().invoke(app, ["gen", "sample", "models:/horo@champion", "--prompt", "a",
                                   "--repetition-penalty", "0.5"])  # fmt: skip
    assert bad.exit_code == 2 and "repetition-penalty" in bad.output
