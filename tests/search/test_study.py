from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from textops.data import Dataset
from textops.model import HEADS
from textops.search import SearchConfig, run_search
from textops.search._portfolio import portfolio
from textops.search._study import make_storage
from textops.track import MemoryTracker


def test_portfolio_gives_each_embedder_a_linear_start_breadth_first() -> None:
    starts = portfolio(["tfidf", "fake", "tfidf_char", "linguistic"], list(HEADS))
    # every embedder once (in the order given), then the sparse ones' other C values
    assert [s["embedder"] for s in starts] == [
        "tfidf",
        "fake",
        "tfidf_char",
        "linguistic",
        "tfidf",
        "tfidf_char",
        "tfidf",
        "tfidf_char",
    ]
    assert all(s[f"head.{s['embedder']}"] == "logreg" for s in starts)
    assert [s["logreg.C"] for s in starts if s["embedder"] == "tfidf"] == [100.0, 10.0, 1.0]
    assert [s["logreg.C"] for s in starts if s["embedder"] == "fake"] == [1.0]
    assert portfolio(["fake"], ["knn"]) == []  # no linear head asked for: nothing enqueued
    svm = portfolio(["fake"], ["linear_svm"])
    assert svm == [
        {
            "embedder": "fake",
            "head.fake": "linear_svm",
            "linear_svm.C": 0.5,
            "linear_svm.class_weight": None,
            "normalize": "none",
        }
    ]


def test_each_trained_head_starts_once_from_its_defaults_on_its_first_embedder() -> None:
    heads = ["logreg", "setfit", "finetune"]
    starts = portfolio(["fake", "mpnet", "minilm"], heads)
    trained = [s for s in starts if s.get("head.mpnet") in ("setfit", "finetune")]
    assert [s["head.mpnet"] for s in trained] == ["setfit", "finetune"]
    setfit = HEADS["setfit"].factory(seed=0)
    assert (
        trained[0]["setfit.lr"] == setfit.lr
        and trained[0]["setfit.iterations"] == setfit.iterations
    )
    assert trained[0]["setfit.class_weight"] is None
    assert trained[1]["finetune.epochs"] == HEADS["finetune"].factory(seed=0).epochs
    assert starts[-2:] == trained and len(starts) == 5
    assert portfolio(["fake"], ["setfit"]) == []  # setfit does not take the fake embedder


def test_few_labels_try_each_head_on_each_embedder_once_with_few_label_parameters() -> None:
    from textops.model import HEADS

    starts = portfolio(["fake", "mpnet", "minilm"], ["logreg", "knn", "setfit"], few_labels=True)
    kinds = [(s["embedder"], s[f"head.{s['embedder']}"]) for s in starts]
    # heads on embeddings first (embedders in the order given), then the trained head on
    # each encoder it starts from
    assert kinds == [
        ("fake", "logreg"),
        ("fake", "knn"),
        ("mpnet", "logreg"),
        ("mpnet", "knn"),
        ("minilm", "logreg"),
        ("minilm", "knn"),
        ("mpnet", "setfit"),
        ("minilm", "setfit"),
    ]
    logreg = [s for s in starts if "logreg.C" in s]
    assert {s["logreg.C"] for s in logreg} == {HEADS["logreg"].few_labels["C"]}
    assert all(s["normalize"] == "none" for s in logreg)  # unit-length embeddings as given
    knn = HEADS["knn"].factory(seed=0)  # no few-labels parameters: the head's own defaults
    assert {s["knn.n_neighbors"] for s in starts if "knn.n_neighbors" in s} == {knn.n_neighbors}
    setfit = [s for s in starts if "setfit.lr" in s]
    assert {s["setfit.lr"] for s in setfit} == {HEADS["setfit"].factory(seed=0).lr}


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
    assert [p["embedder"] for p in first] == [*embedders, "tfidf", "tfidf"][:4]
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


def test_the_portfolio_tries_the_cheapest_embedder_then_hybrids_then_the_rest() -> None:
    from textops.search._plan import EmbedderPlan
    from textops.search._run import _portfolio_order

    def plan(key: str, latency: float | None) -> EmbedderPlan:
        return EmbedderPlan(key, 0, 0, None, 0.0, latency)

    plans = [
        plan("minilm", 9.0),
        plan("tfidf_minilm", None),
        plan("tfidf", 0.5),
        plan("static", 0.1),
    ]
    assert _portfolio_order(plans) == ["static", "tfidf_minilm", "tfidf", "minilm"]
    assert _portfolio_order([plan("tfidf", 0.5), plan("fake", None)]) == ["tfidf", "fake"]
    assert _portfolio_order([]) == []


def test_a_trained_head_in_the_search_runs_one_trial_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from textops.search import SearchConfig, _study
    from textops.search._study import trial_threads

    monkeypatch.setattr(_study, "available_cpus", lambda: 4)
    assert trial_threads(SearchConfig(dataset="d", heads=("logreg", "knn"))) == 4
    assert trial_threads(SearchConfig(dataset="d", heads=("logreg", "knn"), workers=2)) == 2
    assert trial_threads(SearchConfig(dataset="d", heads=("logreg", "setfit"))) == 1
    assert trial_threads(SearchConfig(dataset="d", heads=("finetune",))) == 1


def test_a_failed_start_is_queued_again_once_and_a_finished_one_never() -> None:
    from textops.search._study import queued_starts

    study = optuna.create_study(direction="maximize")
    for x in (0.5, 0.7):
        study.enqueue_trial({"x": x})

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if x == 0.5:
            raise ValueError("killed")
        return x

    study.optimize(objective, n_trials=2, catch=(ValueError,))
    assert [t.state.name for t in study.trials] == ["FAIL", "COMPLETE"]
    assert queued_starts(study) == 1  # the failed start, not the finished one
    assert queued_starts(study) == 1  # already waiting: not queued twice
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert study.trials[-1].params == {"x": 0.5} and queued_starts(study) == 0


@pytest.mark.parametrize(
    ("trials", "timeout", "limits"),
    [
        (None, None, (30, 600.0)),  # neither: both defaults
        (5, None, (5, None)),  # trials alone bound the search
        (None, 60.0, (100_000, 60.0)),  # a timeout alone: trials until it is spent
        (5, 60.0, (5, 60.0)),
    ],
)
def test_a_search_always_has_a_bound(
    trials: int | None, timeout: float | None, limits: tuple[int, float | None]
) -> None:
    cfg = SearchConfig(dataset="d", trials=trials, timeout=timeout)
    assert (cfg.trial_limit, cfg.time_limit) == limits
    assert (cfg.trials, cfg.timeout) == (trials, timeout)  # as given; the search records both
