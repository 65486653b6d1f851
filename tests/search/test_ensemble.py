"""The ensemble candidate: the best trials of different embedders, judged by the trials' own CV
folds, kept only when it beats each of them, and then registered and served as one model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pytest

from textops._json import to_json
from textops.data import Dataset
from textops.search import SearchConfig, _ensemble, run_search
from textops.search._budget import Budget, ensemble_seconds
from textops.search._ensemble import ensemble_members
from textops.track import MlflowTracker, ModelRegistry, default_tracking_uri, load_model


def _trial(study: optuna.Study, embedder: str, head: str, value: float, **attrs: object) -> None:
    dist = optuna.distributions.CategoricalDistribution(["x"])
    study.add_trial(optuna.trial.create_trial(
        params={"e": "x"}, distributions={"e": dist}, value=value,
        user_attrs={"embedder": embedder, "head": head, "params": {}, "fit_seconds": 2.0,
                    "cv_folds": 5, **attrs},
    ))  # fmt: skip


def test_members_are_the_best_frozen_trial_of_each_embedder_best_first() -> None:
    study = optuna.create_study(direction="maximize")
    _trial(study, "tfidf", "logreg", 0.80)
    _trial(study, "tfidf", "linear_svm", 0.84)
    _trial(study, "fake", "logreg", 0.82)
    _trial(study, "static", "logreg", 0.90, cv_folds_run=2)  # scored on fewer folds: not one
    _trial(study, "minilm", "finetune", 0.95)  # a fine-tune reads texts: not one
    _trial(study, "tfidf_minilm", "logreg", 0.70, recipe={"name": "augment"})  # a recipe's
    got = ensemble_members(study)
    assert [(t.user_attrs["embedder"], t.values[0]) for t in got] == [("tfidf", 0.84),
                                                                      ("fake", 0.82)]  # fmt: skip
    assert [t.user_attrs["embedder"] for t in ensemble_members(study, {"fake"})] == ["tfidf"]


def test_a_timed_search_keeps_time_for_judging_its_ensemble() -> None:
    study = optuna.create_study(direction="maximize")
    _trial(study, "tfidf", "logreg", 0.80)
    without = Budget.start(100.0, n_train=100, n_refit=120).reserve(study)
    _trial(study, "fake", "logreg", 0.82)
    plain = Budget.start(100.0, n_train=100, n_refit=120).reserve(study)
    kept = Budget.start(100.0, n_train=100, n_refit=120, ensemble=True).reserve(study)
    assert without is not None and plain is not None and kept is not None
    judge, refit, stack = ensemble_seconds(ensemble_members(study), 100, 120)
    assert judge >= 4.0 and refit > 0 and stack > 0  # both members' folds again (2 s each)
    soft = judge + refit
    assert kept == pytest.approx(plain + soft)
    # on a budget where that is more than a tenth, the trials keep the time
    small = Budget.start(soft * 5, n_train=100, n_refit=120, ensemble=True).reserve(study)
    assert small == pytest.approx(plain)


def test_an_ensemble_no_better_than_its_members_is_reported_not_registered(
    topics: Dataset, home: Path
) -> None:
    cfg = SearchConfig(dataset="topics", embedders=("fake", "tfidf"), heads=("logreg",),
                       trials=4, cv_folds=3)  # fmt: skip
    report = run_search(cfg, home=home, tracker=MlflowTracker(home=home))
    choice = report.ensemble
    assert choice is not None and len(choice.trials) == 2
    assert set(choice.methods_cv) == {"soft_vote", "stack"}
    # topics is easy: its best member is perfect already, nothing left to add
    assert max(choice.members_cv) == 1.0 and not choice.chosen
    assert choice.cv_macro_f1 < max(choice.members_cv) + _ensemble.MIN_GAIN
    assert report.best.members is None and report.best.embedder in ("fake", "tfidf")
    assert "ensemble" in to_json(report)


def test_a_chosen_ensemble_is_registered_and_served_as_one_model(
    topics: Dataset, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_ensemble, "MIN_GAIN", -1.0)  # any ensemble replaces the winner
    cfg = SearchConfig(dataset="topics", embedders=("fake", "tfidf"), heads=("logreg",),
                       trials=4, cv_folds=3)  # fmt: skip
    report = run_search(cfg, home=home, tracker=MlflowTracker(home=home))
    assert report.ensemble is not None and report.ensemble.chosen
    assert report.best.members == report.ensemble.trials
    assert report.best.head == f"ensemble_{report.ensemble.method}"
    uri = default_tracking_uri(home)
    version = ModelRegistry(uri).client.get_model_version("topics", str(report.model_version))
    assert version.tags["textops.trial"].startswith("ensemble_")
    model = load_model(report.model_uri, tracking_uri=uri)
    assert model.embedder_key == "stacked" and len(model.embedder.members_) == 2
    texts = ["stock market prices fell", "the team won the match"]
    proba = model.predict_proba(texts)
    assert proba.shape == (2, len(model.labels)) and np.allclose(proba.sum(axis=1), 1.0)
    assert report.test.macro_f1 > 0.5  # scored on test as one model


def test_no_ensemble_when_asked_for_none(topics: Dataset, home: Path) -> None:
    cfg = SearchConfig(dataset="topics", embedders=("fake", "tfidf"), heads=("logreg",),
                       trials=4, cv_folds=3, ensemble=False)  # fmt: skip
    report = run_search(cfg, home=home, tracker=MlflowTracker(home=home))
    assert report.ensemble is None and "ensemble" not in report.finalize_steps


def test_the_summary_says_what_the_ensemble_scored_and_whether_it_was_kept(
    topics: Dataset, home: Path
) -> None:
    from typer.testing import CliRunner

    from textops.cli import app

    argv = ["search", "topics", "--embedders", "fake,tfidf", "--heads", "logreg", "--trials",
            "4", "--cv-folds", "3"]  # fmt: skip
    res = CliRunner().invoke(app, argv)
    assert res.exit_code == 0, res.output
    assert "ensemble (" in res.output and "not kept" in res.output
    res = CliRunner().invoke(app, [*argv, "--no-ensemble", "--study", "plain"])
    assert res.exit_code == 0, res.output
    assert "ensemble (" not in res.output


def test_judging_stops_when_the_time_kept_for_the_refit_is_reached(
    topics: Dataset, home: Path
) -> None:
    from textops.data import read_labelled
    from textops.embed import EmbeddingCache
    from textops.search._data import SearchData
    from textops.search._ensemble import choose_ensemble
    from textops.search._study import make_storage

    cfg = SearchConfig(dataset="topics", embedders=("fake", "tfidf"), heads=("logreg",),
                       trials=4, cv_folds=3, ensemble=False)  # fmt: skip
    report = run_search(cfg, home=home, tracker=MlflowTracker(home=home))
    study = optuna.load_study(study_name=report.study, storage=make_storage(None, home))
    members = ensemble_members(study)
    data = SearchData.of(read_labelled("topics", home=home, purpose="a test"))
    cache = EmbeddingCache(home=home)
    judged = choose_ensemble(data, cache, cfg, members, 0.0)
    assert judged is not None and len(judged.members_cv) == 2
    assert choose_ensemble(data, cache, cfg, members, 0.0, stop_at=0.0) is None
