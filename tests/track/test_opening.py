"""A run opened, and a model recorded, in one call each."""

from __future__ import annotations

import time

import numpy as np

from textops.track import (
    DatasetInput,
    FinishedRun,
    MemoryTracker,
    ModelRecord,
    RunOpening,
    evaluate,
    log_model_record,
    open_run,
)


def test_a_run_opens_with_its_params_datasets_and_files() -> None:
    tracker = MemoryTracker()
    parent = tracker.start_run("parent")
    run = open_run(
        tracker,
        RunOpening(
            "search x",
            parent_id=parent,
            tags={"textops.study": "x"},
            params={"trials": 3, "embedders": ["fake"]},
            datasets=[
                DatasetInput("d@1:train", "ab", "/data", "train"),
                DatasetInput("d@1:test", "cd", "/data", "test"),
            ],
            files={"plan.json": [{"key": "fake"}]},
        ),
    )
    got = tracker.runs[run.id]
    assert got["parent"] == parent and got["tags"] == {"textops.study": "x"}
    assert got["params"] == {"trials": "3", "embedders": '["fake"]'}
    assert [d["context"] for d in got["datasets"]] == ["train", "test"]
    assert got["artifacts"]["plan.json"] == [{"key": "fake"}]
    run.end()
    assert got["status"] == "FINISHED"


def test_a_run_ends_only_after_every_child_handed_to_it_is_written() -> None:
    order: list[str] = []

    class Slow(MemoryTracker):
        def log_run(self, run: FinishedRun) -> str:
            time.sleep(0.01)  # the writer lags behind the trials
            order.append(run.name)
            return super().log_run(run)

        def end_run(self, run_id: str, status: str = "FINISHED") -> None:
            if self.runs[run_id]["name"] == "search y":  # not a child's own end
                order.append(f"end {status}")
            super().end_run(run_id, status)

    tracker = Slow()
    run = open_run(tracker, RunOpening("search y"))
    for i in range(5):
        run.children.put(FinishedRun(name=f"t{i}", parent_id=run.id, tags={}, params={},
                                     metrics={}, status="FINISHED", start_ms=0, end_ms=1))  # fmt: skip
    run.end("KILLED")
    assert order == ["t0", "t1", "t2", "t3", "t4", "end KILLED"]
    assert len(tracker.children(run.id)) == 5


def test_a_model_record_logs_scores_or_metrics_and_the_environment() -> None:
    tracker = MemoryTracker()
    scored, estimated = tracker.start_run("a"), tracker.start_run("b")
    scores = evaluate(["x", "y", "x"], np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6]]), ["x", "y"])
    lock = log_model_record(tracker, scored, ModelRecord({"best.head": "logreg"}, scores,
                                                         {"best_cv_macro_f1": 0.5}))  # fmt: skip
    log_model_record(tracker, estimated, ModelRecord({}, None, {"cv_estimate_macro_f1": 0.7},
                                                     {"cv.json": {"n": 3}}))  # fmt: skip
    a, b = tracker.runs[scored], tracker.runs[estimated]
    assert a["params"] == {"best.head": "logreg"} and a["metrics"]["best_cv_macro_f1"] == 0.5
    assert a["metrics"]["test_macro_f1"] == scores.macro_f1
    assert "test_metrics.json" in a["artifacts"] and "env_lock.json" in a["artifacts"]
    assert lock.as_json() == a["artifacts"]["env_lock.json"]
    assert b["metrics"] == {"cv_estimate_macro_f1": 0.7} and b["artifacts"]["cv.json"] == {"n": 3}
