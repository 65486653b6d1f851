from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from textops._json import to_json
from textops.data import Dataset
from textops.search import SearchConfig, run_search
from textops.track import MemoryTracker, MlflowTracker

FAST = {"embedders": ("fake", "tfidf"), "heads": ("logreg", "knn", "linear_svm"), "cv_folds": 3}


def _cfg(**kw: object) -> SearchConfig:
    return SearchConfig.model_validate({"dataset": "topics", **FAST, **kw})


def test_search_by_trials_tracks_every_trial(topics: Dataset, home: Path) -> None:
    tracker = MemoryTracker()
    report = to_json(run_search(_cfg(trials=6), home=home, tracker=tracker))
    assert report["trials"] == 6
    assert report["best"]["embedder"] in ("fake", "tfidf")
    assert 0.5 < report["best"]["cv_macro_f1"] <= 1.0
    assert 0.5 < report["test"]["macro_f1"] <= 1.0
    assert report["test"]["n"] == topics.manifest["splits"]["test"]["rows"]
    (parent,) = [r for r, v in tracker.runs.items() if v["parent"] is None]
    children = tracker.children(parent)
    assert len(children) == 6
    for child in children:
        run = tracker.runs[child]
        assert {"embedder", "head"} <= set(run["params"])
        assert {"cv_macro_f1", "fit_seconds", "latency_ms"} <= set(run["metrics"])
        # normalisation is searched for dense embeddings only (TF-IDF rows are unit length)
        dense = run["params"]["embedder"] == "fake"
        assert (run["params"].get("normalize") in ("none", "standard")) == dense
    prun = tracker.runs[parent]
    assert {d["context"] for d in prun["datasets"]} == {"train", "validation", "test"}
    assert all(d["name"].startswith(f"topics@{topics.version}:") for d in prun["datasets"])
    assert {
        "test_macro_f1",
        "test_accuracy",
        "test_ece",
        "best_cv_macro_f1",
        "test_latency_ms_per_text",
    } <= set(prun["metrics"])
    assert "confusion_matrix.png" in prun["artifacts"]
    assert report["model_uri"].startswith("runs:/")  # memory tracker: nothing registered
    # where finalising went, step by step, adding up to its whole
    steps = report["finalize_steps"]
    assert list(steps) == ["ensemble", "refit", "save"]  # two embedders: an ensemble judged
    assert sum(steps.values()) == pytest.approx(report["finalize_seconds"], abs=0.05)


def test_no_trial_fails_on_sparse_inputs_that_cannot_warm_start(
    topics: Dataset, home: Path
) -> None:
    # TF-IDF is sparse: the linear SVM fits liblinear's LinearSVC, which has no warm start,
    # while earlier trials on the same fold left solutions to start from
    tracker = MemoryTracker()
    cfg = _cfg(trials=8, embedders=("tfidf",), heads=("linear_svm", "logreg"))
    report = to_json(run_search(cfg, home=home, tracker=tracker))
    assert report["trials_failed"] == 0
    (parent,) = [r for r, v in tracker.runs.items() if v["parent"] is None]
    statuses = [tracker.runs[c]["status"] for c in tracker.children(parent)]
    assert len(statuses) == 8 and "FAILED" not in statuses


def test_search_by_time_stops_within_the_budget(topics: Dataset, home: Path) -> None:
    start = time.monotonic()
    tracker = MemoryTracker()
    report = to_json(run_search(_cfg(trials=None, timeout=4), home=home, tracker=tracker))
    assert 1 <= report["trials"] < 10_000
    assert time.monotonic() - start < 4 + 20  # the budget, plus refit, test and saving
    parent = next(r for r in tracker.runs.values() if r["name"].startswith("search "))
    assert (parent["params"]["trials"], parent["params"]["timeout"]) == ("100000", "4.0")


def test_pareto_mode_reports_the_front_and_respects_the_latency_budget(
    topics: Dataset, home: Path
) -> None:
    report = to_json(
        run_search(_cfg(trials=8, objective="f1-latency"), home=home, tracker=MemoryTracker())
    )
    front = report["pareto_front"]
    assert front and all(r["latency_ms"] is not None for r in front)
    lat = [r["latency_ms"] for r in front]
    f1 = [r["cv_macro_f1"] for r in front]
    assert lat == sorted(lat) and f1 == sorted(f1)  # faster front members are less accurate
    budget = front[0]["latency_ms"]
    r2 = to_json(
        run_search(
            _cfg(trials=8, objective="f1-latency", max_latency_ms=budget),
            home=home,
            tracker=MemoryTracker(),
        )
    )
    assert r2["best"]["latency_ms"] <= budget + 1e-9


_KILLABLE = """
import sys
from textops.search import SearchConfig, run_search
from textops.track import MemoryTracker
cfg = SearchConfig(dataset="topics", embedders=("fake", "tfidf"), heads=("logreg", "knn"),
                   cv_folds=3, trials=10_000, study="resumable")
run_search(cfg, home=sys.argv[1], tracker=MemoryTracker())
"""


def _done(home: Path, study: str) -> list[tuple[int, float]]:
    import optuna

    from textops.search._study import make_storage

    s = optuna.load_study(study_name=study, storage=make_storage(None, home))
    return [(t.number, t.value) for t in s.get_trials() if t.state.name == "COMPLETE"]


def test_killed_search_resumes_without_redoing_finished_trials(topics: Dataset, home: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLABLE, str(home)], env={**os.environ, "CI": "1"}
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
            try:
                if len(_done(home, "resumable")) >= 4:
                    break
            except (KeyError, FileNotFoundError):  # study not created yet
                continue
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    import optuna

    from textops.search._study import count_done, make_storage

    before = _done(home, "resumable")
    assert len(before) >= 4
    killed = optuna.load_study(study_name="resumable", storage=make_storage(None, home))
    target = count_done(killed) + 3
    report = to_json(
        run_search(
            _cfg(trials=target, study="resumable", heads=("logreg", "knn")),
            home=home,
            tracker=MemoryTracker(),
        )
    )
    after = _done(home, "resumable")
    assert dict(before).items() <= dict(after).items()  # finished trials kept as they were
    study = optuna.load_study(study_name="resumable", storage=make_storage(None, home))
    assert count_done(study) == target  # the killed mid-trial one was failed, then re-run
    assert "RUNNING" not in {t.state.name for t in study.get_trials()}
    assert report["trials_complete"] == len(after)


def test_two_workers_share_one_journal_study(topics: Dataset, home: Path) -> None:
    tracker = MlflowTracker(home=home)
    report = to_json(run_search(_cfg(trials=6, workers=2, study="two"), home=home, tracker=tracker))
    assert report["trials_complete"] >= 5
    import optuna

    from textops.search._study import make_storage

    s = optuna.load_study(study_name="two", storage=make_storage(None, home))
    pids = {t.user_attrs.get("pid") for t in s.get_trials()}
    assert len(pids) == 2 and os.getpid() not in pids
    runs = tracker.client.search_runs(
        [tracker.experiment_id()], f"tags.mlflow.parentRunId = '{report['run_id']}'"
    )
    assert len(runs) == len(s.get_trials())


def test_two_workers_on_a_real_postgresql(topics: Dataset, home: Path, postgres_url: str) -> None:
    report = to_json(
        run_search(
            _cfg(trials=6, workers=2, storage=postgres_url, study="pg"),
            home=home,
            tracker=MlflowTracker(home=home),
        )
    )
    assert report["trials"] == 6
    import optuna

    s = optuna.load_study(study_name="pg", storage=postgres_url)
    assert len({t.user_attrs["pid"] for t in s.get_trials()}) == 2
    assert not (home / "optuna" / "journal.log").exists()


def test_search_json_from_the_cli(topics: Dataset, home: Path) -> None:
    from typer.testing import CliRunner

    from textops.cli import app

    res = CliRunner().invoke(
        app,
        [
            "search",
            "topics",
            "--embedders",
            "fake,tfidf",
            "--heads",
            "logreg",
            "--trials",
            "3",
            "--cv-folds",
            "2",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    for key in (
        "study",
        "trials",
        "best",
        "test",
        "model_uri",
        "model_version",
        "alias",
        "seconds",
    ):
        assert key in report
    assert report["alias"] == "champion" and report["model_version"] == 1
    assert {"embedder", "head", "params", "cv_macro_f1"} <= set(report["best"])
    assert {"macro_f1", "accuracy"} <= set(report["test"])


def test_unknown_embedder_is_a_clear_error(topics: Dataset, home: Path) -> None:
    from textops.errors import UnknownPluginError

    with pytest.raises(UnknownPluginError, match="word2vec"):
        run_search(_cfg(embedders=("word2vec",)), home=home, tracker=MemoryTracker())
