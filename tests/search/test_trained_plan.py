"""Time for a fine-tune, planned before the frozen encodes spend the budget; its trial's own
model deployed when a refit would not fit."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import topic_rows
from textops.search._budget import Budget
from textops.search._config import TIMED_HEADS
from textops.search._portfolio import portfolio
from textops.search._study import trial_threads
from textops.search._trained_plan import SHARE, plan_trained
from textops.search._trial_hooks import SAVE_SECONDS, TrialHooks

KINDS = [("minilm", "finetune"), ("mpnet", "finetune")]


def test_the_cheapest_fine_tune_whose_first_epoch_fits_is_planned_the_rest_ruled_out() -> None:
    # 4,000 texts at 400 texts/s: an epoch of ~30 s (three inference passes a text), three
    # epochs and a deployment ~104 s: held in full at 240 s; mpnet at 40 texts/s: not planned
    rates = {"minilm": 400.0, "mpnet": 40.0}
    plans = plan_trained(KINDS, rates, n_train=4000, n_deploy=2500, budget_s=240.0, named=False)
    by_kind = {(p.embedder, p.head): p for p in plans}
    minilm, mpnet = by_kind["minilm", "finetune"], by_kind["mpnet", "finetune"]
    assert minilm.planned and minilm.may_run and "planned" in minilm.reason
    assert minilm.seconds == pytest.approx(5.0 + 3 * 30.0 + 2500 / 400 + SAVE_SECONDS)
    assert not mpnet.planned and not mpnet.may_run and f"over {SHARE:.0%}" in mpnet.reason
    # a head the user named keeps its chance to run when time allows
    named = plan_trained(KINDS, rates, n_train=4000, n_deploy=2500, budget_s=240.0, named=True)
    assert [p.may_run for p in named] == [True, True]
    # 100 s: the first epoch still fits, the hold is the share of the budget
    (short, _) = plan_trained(KINDS, rates, n_train=4000, n_deploy=2500, budget_s=100.0,
                              named=False)  # fmt: skip
    assert short.planned and short.seconds == pytest.approx(SHARE * 100.0)
    # 60 s: not even the first epoch fits its share
    shorter = plan_trained(KINDS, rates, n_train=4000, n_deploy=2500, budget_s=60.0, named=False)
    assert not any(p.planned or p.may_run for p in shorter)


def test_without_a_rate_or_a_budget_nothing_is_planned() -> None:
    (plan,) = plan_trained(KINDS[:1], {}, n_train=100, n_deploy=10, budget_s=240.0, named=False)
    assert not plan.planned and "no encode rate" in plan.reason
    (plan,) = plan_trained(KINDS[:1], {"minilm": 400.0}, n_train=100, n_deploy=10,
                           budget_s=None, named=True)  # fmt: skip
    assert not plan.planned and plan.may_run


def test_a_planned_fine_tune_starts_after_the_two_cheapest_frozen_starts() -> None:
    embedders = ["tfidf", "tfidf_minilm", "minilm"]
    plain = portfolio(embedders, list(TIMED_HEADS))
    starts = portfolio(embedders, list(TIMED_HEADS), planned=("minilm", "finetune"))
    assert starts[2]["embedder"] == "minilm" and starts[2]["head.minilm"] == "finetune"
    assert plain[-1] == starts[2]  # moved up from the end, not added twice
    assert len(starts) == len(plain)
    assert starts[:2] == plain[:2] and starts[3:] == plain[2:-1]


def test_trials_run_two_at_a_time_unless_a_trained_kind_may_run() -> None:
    from textops.search import SearchConfig

    cfg = SearchConfig(dataset="d", timeout=240)
    assert "finetune" in cfg.head_keys
    assert trial_threads(cfg, trained_runs=True) == 1
    assert trial_threads(cfg, trained_runs=False) == trial_threads(
        SearchConfig(dataset="d", trials=5)
    )


def test_encoding_leaves_the_held_seconds_alone() -> None:
    budget = Budget.start(100.0)
    assert replace(budget, held=50.0).encode_room() == pytest.approx(
        budget.encode_room() - 50.0, abs=0.1
    )


def test_a_trial_whose_model_can_be_deployed_does_not_keep_time_for_a_refit() -> None:
    # epochs of 10 s: with a refit of as many epochs, 4 fit in 100 s; deployed as trained,
    # 9 (and the save)
    assert TrialHooks(None, Budget.start(100.0), None, 1.0, "k").epochs_that_fit(10.0) == 4
    kept = TrialHooks(None, Budget.start(100.0), None, 1.0, "k", refit_optional=True)
    assert kept.epochs_that_fit(10.0) == int((100.0 - SAVE_SECONDS) // 10.0)


@pytest.fixture(scope="module")
def topics_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from textops.data import MemorySource, ingest

    home = tmp_path_factory.mktemp("kept-home")
    ingest([MemorySource("topics", topic_rows(360))], "topics", home=home)
    return home


def test_a_winning_finetune_is_deployed_as_trained_when_its_refit_does_not_fit(
    topics_home: Path, tiny_bert: Path
) -> None:
    import optuna

    from textops.data import read_labelled
    from textops.embed import EmbeddingCache
    from textops.search import SearchConfig
    from textops.search._data import SearchData
    from textops.search._finalize import FinalizeInputs, _refit_or_keep
    from textops.search._report import Winner
    from textops.search._trained_trial import KeptModel, run_trained_trial

    version = read_labelled("topics", None, home=topics_home, purpose="a test")
    data = SearchData.of(version)
    params = {"model": str(tiny_bert), "lr": 2e-3, "epochs": 2, "max_length": 32}
    hooks = TrialHooks(None, Budget.start(None), None, 1.2, "minilm + finetune")
    out = run_trained_trial(
        "finetune", params, train=(data.train.texts, data.train.labels),
        validation=(data.validation.texts, data.validation.labels), hooks=hooks, seed=0,
        runtime={"device": "cpu"}, export_above=-1.0,
    )  # fmt: skip
    assert out.exported is not None
    kept = KeptModel(7, out.macro_f1, out.exported, refit_seconds=60.0, deploy_seconds=1.0)
    winner = Winner("minilm", "finetune", params, out.macro_f1, 7, None)
    cfg = SearchConfig(dataset="topics", heads=("finetune",), embedders=("minilm",), trials=1)

    def inputs(budget: Budget) -> FinalizeInputs:
        study = optuna.create_study()
        return FinalizeInputs(cfg, study, version.dataset, data, None, "", [], budget,  # type: ignore[arg-type]
                              EmbeddingCache(home=topics_home), kept)  # fmt: skip

    trained, why = _refit_or_keep(inputs(Budget.start(10.0)), winner)
    assert why is not None and "trial 7" in why and "~60s" in why
    assert trained.test is not None and trained.test.scores.macro_f1 > 0.5
    assert trained.classifier.embedder_key == "finetuned"
    # another trial won, or the refit fits: trained again on train + validation
    assert _refit_or_keep(inputs(Budget.start(10.0)), replace(winner, trial=8))[1] is None
    assert _refit_or_keep(inputs(Budget.start(600.0)), winner)[1] is None


def test_a_timed_search_with_the_default_heads_plans_and_runs_a_fine_tune_early(
    topics_home: Path, tiny_bert: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from textops.search import SearchConfig, run_search
    from textops.track import MlflowTracker

    cfg = SearchConfig(
        dataset="topics", embedders=("tfidf", "minilm"), timeout=300, trials=4, device="cpu",
        head_options={"model": str(tiny_bert), "lr": 2e-3, "max_length": 32},
    )  # fmt: skip
    report = run_search(cfg, home=topics_home, tracker=MlflowTracker(home=topics_home),
                        show_progress=False)  # fmt: skip
    plans = {(p.embedder, p.head): p for p in report.trained_plan}
    assert plans["minilm", "finetune"].planned
    third = next(row for row in report.leaderboard if row.trial == 2)
    assert (third.embedder, third.head, third.state) == ("minilm", "finetune", "COMPLETE")
    # the summary says what the plan held, and what was deployed instead of a refit
    from textops.cli._search import print_search

    print_search(replace(report, refit_skipped="the winner's own model from trial 2"))
    out = capsys.readouterr().out
    assert "minilm + finetune" in out and "planned: one epoch" in out
    assert "deployed the winner's own model from trial 2" in out


def test_a_rate_timed_on_the_plans_small_sample_is_timed_again_when_that_decides(
    tmp_path: Path,
) -> None:
    # the plan's 32-text sample said 100 texts/s: one epoch of 4,000 texts ~120 s does not
    # fit 60 % of 240 s; at twice the rate it would, so more texts (what 100 texts/s encodes
    # in 5 s) are encoded into the cache and timed: the fast embedder here is then planned
    from textops.embed import EmbeddingCache, make_embedder
    from textops.search._embedder_plan import EmbedderPlan
    from textops.search._trained_plan import RETIME, RETIME_SECONDS, TrainedPlanner

    cache = EmbeddingCache(home=tmp_path)
    emb = make_embedder("fake")
    texts = [f"text number {i}" for i in range(2000)]
    keys = [hashlib.sha256(t.encode()).digest() for t in texts]
    plan = EmbedderPlan("minilm", 0, len(texts), 100.0, 20.0, None, rate_source="measured",
                        embedder=emb)  # fmt: skip
    planner = TrainedPlanner(KINDS[:1], cache, n_train=4000, n_deploy=2500, budget_s=240.0,
                             named=False, texts=texts, keys=keys)  # fmt: skip
    assert planner([plan]) > 0 and planner.planned() == ("minilm", "finetune")
    assert int(cache.lookup(emb, keys).found.sum()) == min(RETIME, int(RETIME_SECONDS * 100))
    # hopeless even at twice the rate (or already planned): nothing is encoded
    slow = replace(plan, rate=10.0)
    again = TrainedPlanner(KINDS[:1], EmbeddingCache(home=tmp_path / "b"), n_train=4000,
                           n_deploy=2500, budget_s=240.0, named=False, texts=texts, keys=keys)  # fmt: skip
    assert again([slow]) == 0.0 and again.planned() is None
    assert not again.cache.lookup(emb, keys).found.any()


def test_a_planned_fine_tunes_encoder_stays_when_its_frozen_encode_did_not_fit(
    tmp_path: Path,
) -> None:
    from textops.embed import EmbeddingCache
    from textops.search._embedder_plan import EmbedderPlan
    from textops.search._trained_plan import TrainedPlanner

    left_out = EmbedderPlan("minilm", 0, 4000, 400.0, 10.0, None, included=False,
                            reason="encoding 4,000 texts needs ~10s")  # fmt: skip
    planner = TrainedPlanner(KINDS[:1], EmbeddingCache(home=tmp_path), n_train=4000,
                             n_deploy=2500, budget_s=240.0, named=False)  # fmt: skip
    assert planner([left_out]) > 0
    ruled = planner.keep_encoder([left_out], ["logreg", "knn"])
    assert left_out.included and "fine-tune only" in left_out.reason
    assert set(ruled) == {("minilm", "logreg"), ("minilm", "knn")}
    assert all("not encoded" in why for why in ruled.values())
    assert planner.keep_encoder([left_out], ["logreg"]) == {}  # included now: nothing to do
