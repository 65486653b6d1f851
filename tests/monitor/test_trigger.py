"""One retrain at a time, at most one queued; a drift alert fires the trigger."""

from __future__ import annotations

import sys
from pathlib import Path

from textops.monitor import DriftMonitor, RetrainTrigger
from textops.monitor._drift_types import (
    DriftAlert,
    DriftReport,
    DriftThresholds,
    LabelMixTest,
    ReportedModel,
)


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
    runs = trigger.status().runs
    assert [r.reason for r in runs] == ["a", "queued"] and all(r.returncode == 0 for r in runs)


def test_a_failing_retrain_is_recorded_and_the_next_can_start(tmp_path: Path) -> None:
    trigger = RetrainTrigger([sys.executable, "-c", "import sys; sys.exit('no feedback')"])
    trigger.fire("x")
    assert trigger.wait(20)
    assert trigger.status().runs[0].returncode == 1
    assert trigger.fire("y") == "started" and trigger.wait(20)


def test_drift_alert_calls_on_alert() -> None:
    seen: list[DriftAlert] = []
    monitor = DriftMonitor(on_alert=seen.append)
    psi = LabelMixTest(
        drifted=True, summary="PSI 0.9", fired_by="PSI 0.9", psi=0.9, chi2_p_value=0.5,
        reference={"a": 1}, current={"a": 9},
    )  # fmt: skip
    report = DriftReport(
        drift=True, n_current=40, thresholds=DriftThresholds(), tests={"label_psi": psi},
        model=ReportedModel("m", "1"),
    )  # fmt: skip
    monitor._publish(report)
    monitor._publish(report)  # still drifting: no second alert
    assert len(seen) == 1 and seen[0].tests == ["label_psi"]
    assert seen[0].as_json()["scores"]["label_psi"]["psi"] == 0.9


def test_the_history_of_runs_is_capped() -> None:
    """A service that retrains for months keeps the last runs, not all of them."""
    from textops.monitor._trigger import HISTORY

    trigger = RetrainTrigger(["true"])
    for i in range(HISTORY + 5):
        assert trigger.fire(f"run {i}") == "started"
        assert trigger.wait(20)
    runs = trigger.status().runs
    assert len(runs) == HISTORY and runs[-1].reason == f"run {HISTORY + 4}"


def test_a_job_runs_through_the_pipeline_and_says_why_it_failed(tmp_path: Path) -> None:
    """The service hands the retrain a typed job on stdin (no command-line flags); the child
    runs textops.pipeline.retrain with it, and its refusal is the run's recorded error."""
    from textops.monitor import RetrainJob

    job = RetrainJob(
        model_uri="models:/nosuchmodel@champion",
        since_seconds=3600,
        tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
        monitor_url=f"sqlite:///{tmp_path / 'monitor.db'}",
        home=str(tmp_path),
    )
    trigger = RetrainTrigger.for_job(job)
    assert "retrain" not in trigger.command and "--since" not in trigger.command
    assert trigger.fire("drift: text_length") == "started" and trigger.wait(120)
    run = trigger.status().runs[0]
    assert run.returncode == 2 and run.error is not None and "nosuchmodel" in run.error, run


def test_a_malformed_job_is_refused(tmp_path: Path) -> None:
    trigger = RetrainTrigger([sys.executable, "-m", "textops.pipeline._job"], stdin=b'{"x": 1}')
    assert trigger.fire("x") == "started" and trigger.wait(60)
    run = trigger.status().runs[0]
    assert run.returncode == 2 and run.error is not None, run
    assert run.error.startswith("not a retrain job"), run


def test_a_service_refuses_a_retrain_window_that_is_not_a_duration(tmp_path: Path) -> None:
    import pytest

    from textops.errors import ConfigError
    from textops.serve import ServeSettings, create_app

    settings = ServeSettings(
        model_uri="models:/m@champion", home=str(tmp_path), log_text=True,
        on_drift="retrain", retrain_since="500",
    )  # fmt: skip
    with pytest.raises(ConfigError, match="retrain-since"):
        create_app(settings)
