"""Trial runs written after the fact (``log_run``), by a background thread
(``BackgroundRuns``): into MLflow's sqlite store, and with an in-memory tracker."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from textops.track import BackgroundRuns, FinishedRun, MemoryTracker, MlflowTracker


def _run(i: int, parent: str | None, status: str = "FINISHED") -> FinishedRun:
    return FinishedRun(
        name=f"trial-{i}",
        parent_id=parent,
        tags={"textops.trial": str(i)},
        params={"head": "logreg", "C": 0.5, "class_weight": None},
        metrics={"cv_macro_f1": 0.5 + i / 100, "folds_run": 3},
        status=status,
        start_ms=1_700_000_000_000 + 1000 * i,
        end_ms=1_700_000_000_500 + 1000 * i,
    )


def test_log_run_writes_a_finished_nested_run_to_mlflow(tmp_path: Path) -> None:
    tracker = MlflowTracker(home=tmp_path)
    parent = tracker.start_run("search")
    run_id = tracker.log_run(_run(3, parent, status="KILLED"))
    run = tracker.client.get_run(run_id)
    assert run.info.run_name == "trial-3"
    assert run.data.tags["mlflow.parentRunId"] == parent
    assert run.data.tags["textops.trial"] == "3"
    assert run.data.params == {"head": "logreg", "C": "0.5", "class_weight": "None"}
    assert run.data.metrics == {"cv_macro_f1": 0.53, "folds_run": 3.0}
    assert run.info.status == "KILLED"
    assert (run.info.start_time, run.info.end_time) == (1_700_000_003_000, 1_700_000_003_500)


def test_background_runs_are_all_written_in_order_on_close() -> None:
    tracker = MemoryTracker()
    with BackgroundRuns(tracker) as runs:
        for i in range(20):
            runs.put(_run(i, "p"))
    assert runs.written == 20
    names = [tracker.runs[r]["name"] for r in tracker.children("p")]
    assert names == [f"trial-{i}" for i in range(20)]
    with pytest.raises(RuntimeError, match="closed"):
        runs.put(_run(0, "p"))


def test_the_writer_runs_off_the_calling_thread() -> None:
    seen: list[str] = []

    class Recording(MemoryTracker):
        def log_run(self, run: FinishedRun) -> str:
            seen.append(threading.current_thread().name)
            return super().log_run(run)

    with BackgroundRuns(Recording()) as runs:
        runs.put(_run(0, None))
    assert seen == ["textops-runs"]


def test_a_run_that_fails_to_write_is_reported_and_the_rest_go_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Flaky(MemoryTracker):
        def log_run(self, run: FinishedRun) -> str:
            if run.name == "trial-1":
                raise OSError("disk full")
            return super().log_run(run)

    tracker = Flaky()
    with caplog.at_level(logging.WARNING), BackgroundRuns(tracker) as runs:
        for i in range(3):
            runs.put(_run(i, "p"))
    assert (runs.written, runs.failed) == (2, 1)
    assert "trial-1" in caplog.text and "disk full" in caplog.text
    assert [tracker.runs[r]["name"] for r in tracker.children("p")] == ["trial-0", "trial-2"]
