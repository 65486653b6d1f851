from __future__ import annotations

from pathlib import Path

import optuna

from textops.data import Dataset
from textops.search import HEADS, SearchConfig, run_search
from textops.search._study import make_storage, portfolio
from textops.track import MemoryTracker


def test_portfolio_gives_each_embedder_a_linear_start() -> None:
    starts = portfolio(["tfidf", "fake", "tfidf_char", "linguistic"], list(HEADS))
    # sparse TF-IDF (word or character n-grams): logistic regression at three C values
    assert [s["embedder"] for s in starts] == ["tfidf"] * 3 + ["fake"] + ["tfidf_char"] * 3 + [
        "linguistic"
    ]
    assert all(s[f"head.{s['embedder']}"] == "logreg" for s in starts)
    assert [s["logreg.C"] for s in starts[:3]] == [1.0, 10.0, 100.0]
    assert [s["logreg.C"] for s in starts[4:7]] == [1.0, 10.0, 100.0]
    assert portfolio(["fake"], ["knn"]) == []  # no linear head asked for: nothing enqueued


def test_a_new_study_tries_the_portfolio_first_and_a_resumed_one_does_not(
    topics: Dataset, home: Path
) -> None:
    cfg = SearchConfig(
        dataset="topics",
        embedders=("fake", "tfidf"),
        heads=("logreg", "knn"),
        trials=4,
        cv_folds=2,
        study="p",
    )
    run_search(cfg, home=home, tracker=MemoryTracker())
    study = optuna.load_study(study_name="p", storage=make_storage(None, home))
    first = [t.params for t in study.get_trials()[:4]]
    embedders = study.user_attrs["embedders"]
    assert [p["embedder"] for p in first] == [
        e for e in embedders for _ in range(3 if e == "tfidf" else 1)
    ]
    assert all(p[f"head.{p['embedder']}"] == "logreg" for p in first)
    run_search(cfg.model_copy(update={"trials": 6}), home=home, tracker=MemoryTracker())
    study = optuna.load_study(study_name="p", storage=make_storage(None, home))
    assert len(study.get_trials()) == 6  # resumed: no second portfolio


def test_a_running_trial_without_a_pid_is_failed_only_when_nobody_runs_the_study(
    home: Path,
) -> None:
    from textops.search._study import fail_dead_trials, running_study, study_lock_path

    cfg = SearchConfig(dataset="x", study="locked")
    study = optuna.create_study(study_name="locked", storage=make_storage(None, home))
    study.ask()  # RUNNING, killed before it could record its pid
    lock = study_lock_path(cfg, home)
    with running_study(lock):  # another process is running this study: keep the trial
        assert fail_dead_trials(study, lock) == 0
    assert fail_dead_trials(study, lock) == 1
    assert [t.state.name for t in study.get_trials()] == ["FAIL"]
