"""A search never registers a model below TF-IDF + logistic regression on the test split."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import optuna
import pytest

from textops._json import to_json
from textops.data import Dataset
from textops.search import SearchConfig, _finalize, run_search
from textops.search._floor import FloorCheck, floor_trial
from textops.track import MlflowTracker, ModelRegistry, default_tracking_uri


def _trial(study: optuna.Study, embedder: str, head: str, value: float) -> None:
    dist = optuna.distributions.CategoricalDistribution(["x"])
    study.add_trial(optuna.trial.create_trial(params={"e": "x"}, distributions={"e": dist},
                                              value=value,
                                              user_attrs={"embedder": embedder, "head": head}))  # fmt: skip


def test_the_floor_is_the_best_tfidf_logreg_trial_when_another_kind_won() -> None:
    study = optuna.create_study(direction="maximize")
    _trial(study, "fake", "logreg", 0.9)
    _trial(study, "tfidf", "logreg", 0.7)
    _trial(study, "tfidf", "logreg", 0.8)
    _trial(study, "tfidf", "linear_svm", 0.85)
    got = floor_trial(study, study.trials[0])
    assert got is not None and got.number == 2
    assert floor_trial(study, study.trials[2]) is None  # the winner is the floor's kind
    assert FloorCheck.of(2, 0.5, 0.6).chosen and not FloorCheck.of(2, 0.6, 0.6).chosen


@pytest.mark.parametrize(("winner_test", "floored"), [(0.05, True), (1.0, False)])
def test_a_winner_below_the_floor_on_test_is_replaced_by_it(
    topics: Dataset, home: Path, monkeypatch: pytest.MonkeyPatch, winner_test: float, floored: bool
) -> None:
    real_estimate = _finalize.test_estimate

    def pick_fake(study: optuna.Study, config: SearchConfig) -> Any:
        done = [t for t in study.trials if t.state.name == "COMPLETE"]
        return max((t for t in done if t.user_attrs["embedder"] == "fake"),
                   key=lambda t: t.values[0]), []  # fmt: skip

    def scored(*args: Any, **kwargs: Any) -> Any:
        got = real_estimate(*args, **kwargs)  # the winner's real scores, its macro-F1 set
        return replace(got, macro_f1=winner_test)

    monkeypatch.setattr(_finalize, "pick_winner", pick_fake)
    monkeypatch.setattr(_finalize, "test_estimate", scored)
    cfg = SearchConfig(dataset="topics", embedders=("fake", "tfidf"), heads=("logreg",),
                       trials=4, cv_folds=3)  # fmt: skip
    report = run_search(cfg, home=home, tracker=MlflowTracker(home=home))
    assert report.floor is not None
    assert report.floor.chosen is floored and report.floor.winner_macro_f1 == winner_test
    assert report.best.embedder == ("tfidf" if floored else "fake")
    assert to_json(report)["floor"]["chosen"] is floored
    version = ModelRegistry(default_tracking_uri(home)).client.get_model_version(
        "topics", str(report.model_version)
    )
    assert version.tags["textops.embedder"] == report.best.embedder
    assert "floor" in report.finalize_steps
