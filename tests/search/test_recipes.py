"""Data recipes as a search axis: augmented and LLM-written rows go into training folds only,
the recipe and its mix are searched, and the report says whether they helped."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from tests.llm_stub import llm_stub
from textops.cli import app
from textops.data import augment, augment_texts, read_synthetic
from textops.search._recipes import RecipePool, augment_pool

runner = CliRunner()
SEARCH = [
    "search",
    "topics",
    "--embedders",
    "fake",
    "--heads",
    "logreg",
    "--cv-folds",
    "3",
    "--no-register",
]


def test_augment_is_deterministic_and_changes_about_strength_of_the_words() -> None:
    text = "the home team won the cup final after a late goal in extra time"
    assert augment(text, 0.2, seed=1) == augment(text, 0.2, seed=1)
    variants = {augment(text, 0.2, seed=s) for s in range(20)}
    assert len(variants) > 5 and text not in variants
    vocab = ["alpha", "beta"]
    inserted = [augment(text, 0.3, seed=s, vocab=vocab) for s in range(40)]
    assert any("alpha" in v or "beta" in v for v in inserted)
    assert len(augment_texts([text, "bank loan"], 0.5, seed=0)) == 2


def test_a_fold_gets_only_its_own_rows_variants() -> None:
    texts = [f"word{i} other{i} more{i} text{i}" for i in range(40)]
    pool = augment_pool(texts, ["a", "b"] * 20, 0.5, seed=0)
    train = np.arange(0, 40, 2)
    for mix in (0.25, 0.5, 1.0):
        idx = pool.take(train, mix, seed=0)
        assert set(pool.origins[idx]) <= set(train)
        assert len(idx) == round(mix * len(train))
    small, large = pool.take(train, 0.25, 0), pool.take(train, 1.0, 0)
    assert set(small) <= set(large)  # a larger mix adds to a smaller one's rows
    llm = RecipePool(["x", "y"], ["a", "b"], np.array([-1, -1]))
    assert list(llm.take(train, 1.0, 0)) == [0, 1]  # LLM rows: in every fold


def test_search_over_recipes_with_an_llm_stub(topics, home: Path) -> None:  # type: ignore[no-untyped-def]
    with llm_stub() as (url, seen):
        opts = "--trials 12 --recipes none,augment,llm --llm-model stub --llm-per-class 8 --json"
        res = runner.invoke(app, [*SEARCH, *opts.split(), "--llm-endpoint", url])
        assert res.exit_code == 0, res.output
        assert len(seen) == 3  # one prompt per label, then cached
        synth = ["data", "synth", "topics", "--llm-model", "stub", "--per-class", "8", "--json"]
        again = runner.invoke(app, [*synth, "--llm-endpoint", url])
        assert again.exit_code == 0 and len(seen) == 3  # same prompts: from the cache
    out = json.loads(res.stdout.strip().splitlines()[-1])
    rows = {r["recipe"]: r for r in out["recipes"]}
    assert set(rows) == {"none", "augment", "llm"}
    assert sum(r["trials"] for r in rows.values()) >= 3
    for r in rows.values():
        if (
            r["recipe"] != "none"
            and r["best_cv_macro_f1"] is not None
            and rows["none"]["best_cv_macro_f1"]
        ):
            assert (
                abs(
                    r["gain_over_none"] - (r["best_cv_macro_f1"] - rows["none"]["best_cv_macro_f1"])
                )
                < 1e-9
            )
    # provenance in the manifest; LLM rows are no split's rows
    from textops.data import DatasetStore

    ds = DatasetStore(home).get("topics")
    made = read_synthetic(ds, "llm")
    assert made is not None and len(made) == 24
    prov = ds.manifest["synthetic"]["llm"]["provenance"]
    assert {p["model"] for p in prov} == {"stub"} and all(p["prompt"] and p["at"] for p in prov)
    assert not set(made.texts) & set(ds.texts())


def test_llm_rows_are_written_once_per_dataset_version(topics, home: Path) -> None:  # type: ignore[no-untyped-def]
    """The search, the pipeline and the CLI ask for missing rows through one function: a
    version that has them asks the endpoint nothing."""
    from textops.data import DatasetStore
    from textops.gen import EndpointGenerator, synthesize_missing

    ds = DatasetStore(home).get("topics")
    with llm_stub() as (url, seen):
        first = synthesize_missing(ds, EndpointGenerator(url, "stub"), 4, home=home)
        asked = len(seen)
        again = synthesize_missing(ds, EndpointGenerator(url, "stub"), 4, home=home)
    assert first is not None and len(first) == 12 and asked == 3
    assert again is None and len(seen) == asked


def test_llm_recipe_without_rows_says_what_to_do(topics, home: Path) -> None:  # type: ignore[no-untyped-def]
    res = runner.invoke(app, [*SEARCH, "--trials", "2", "--recipes", "none,llm"])
    assert res.exit_code == 2 and "textops data synth" in res.output


def test_llm_as_a_classifier_is_assessed(topics, home: Path) -> None:  # type: ignore[no-untyped-def]
    with llm_stub() as (url, _):
        res = runner.invoke(
            app,
            [
                "assess",
                "topics",
                "--llm-endpoint",
                url,
                "--llm-model",
                "stub",
                "--no-log",
                "--json",
            ],
        )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    (model,) = out["models"]
    assert model["name"] == "llm:stub" and model["source"] == "llm" and model["accuracy"] > 0.6
