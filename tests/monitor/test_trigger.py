"""One retrain at a time, at most one queued; a drift alert fires the trigger."""

from __future__ import annotations

import sys
from pathlib import Path

from textops.monitor import DriftMonitor, RetrainTrigger


def test_never_two_at_once_and_one_queued(tmp_path: Path) -> None:
    log = tmp_path / "log"
    # each run appends start and end marks; overlapping runs would interleave them
    script = (
        f"import time,sys; f=open({str(log)!r},'a'); f.write('S'); f.flush(); "
        "time.sleep(0.4); f.write('E'); f.close()"
    )
    trigger = RetrainTrigger([sys.executable, "-c", script])
    assert trigger.fire("a") == "started"
    assert trigger.fire("b") == "queued"
    assert trigger.fire("c") == "already_queued"
    assert trigger.wait(20)
    assert log.read_text() == "SESE"
    runs = trigger.status()["runs"]
    assert [r["reason"] for r in runs] == ["a", "queued"] and all(
        r["returncode"] == 0 for r in runs
    )


def test_a_failing_retrain_is_recorded_and_the_next_can_start(tmp_path: Path) -> None:
    trigger = RetrainTrigger([sys.executable, "-c", "import sys; sys.exit('no feedback')"])
    trigger.fire("x")
    assert trigger.wait(20)
    assert trigger.status()["runs"][0]["returncode"] == 1
    assert trigger.fire("y") == "started" and trigger.wait(20)


def test_drift_alert_calls_on_alert() -> None:
    seen: list[dict] = []
    monitor = DriftMonitor(on_alert=seen.append)
    report = {"tests": {"label_psi": {"psi": 0.9, "drifted": True}}, "model": {"name": "m"}}
    monitor._publish(report)
    monitor._publish(report)  # still drifting: no second alert
    assert len(seen) == 1 and seen[0]["tests"] == ["label_psi"]


def test_the_history_of_runs_is_capped() -> None:
    """A service that retrains for months keeps the last runs, not all of them."""
    from textops.monitor._trigger import HISTORY

    trigger = RetrainTrigger(["true"])
    for i in range(HISTORY + 5):
        assert trigger.fire(f"run {i}") == "started"
        assert trigger.wait(20)
    runs = trigger.status()["runs"]
    assert len(runs) == HISTORY and runs[-1]["reason"] == f"run {HISTORY + 4}"
