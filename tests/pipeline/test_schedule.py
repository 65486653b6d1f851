"""Scheduling: the DAG loads in Airflow's own DagBag and runs with ``dag.test()`` (Airflow in
its own venv, as `make test` builds it); the cron line's lock keeps two runs apart."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.pipeline.conftest import fast
from textops.cli import app

runner = CliRunner()

_DAG_TEST = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(sys.argv[1])
assert not bag.import_errors, bag.import_errors
dag = bag.get_dag("textops_tickets")
run = dag.test()
upstream = {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks}
print(json.dumps({"tasks": [t.task_id for t in dag.tasks], "upstream": upstream,
                  "schedule": str(dag.schedule), "state": str(run.state),
                  "states": {ti.task_id: str(ti.state) for ti in run.get_task_instances()}}))
"""


def _airflow_python() -> str:
    python = os.environ.get("TEXTOPS_AIRFLOW_PYTHON") or str(
        Path(".venv-airflow/bin/python").absolute()
    )
    if not Path(python).exists():
        pytest.skip(
            "no Airflow venv: `make test` builds .venv-airflow (Airflow pins its own packages)"
        )
    return python


def test_airflow_dag_loads_and_runs(tickets: Path, home: Path, tmp_path: Path) -> None:
    python = _airflow_python()
    sets = [a for o in fast() for a in ("--set", o)]
    res = runner.invoke(app, ["pipeline", "airflow", str(tickets), "--schedule", "@daily", *sets])
    assert res.exit_code == 0, res.output
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "tickets.py").write_text(res.stdout)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
    }
    airflow = str(Path(python).parent / "airflow")
    subprocess.run(
        [airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300
    )
    done = subprocess.run(
        [python, "-c", _DAG_TEST, str(dags)], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    stages = ["ingest", "validate", "embed", "search", "assess", "register"]
    assert out["tasks"] == stages and out["schedule"] == "@daily"
    assert out["upstream"]["search"] == ["embed"] and out["upstream"]["ingest"] == []
    assert out["state"].endswith("success"), out
    assert all(s.endswith("success") for s in out["states"].values())
    # the tasks did the work: the model is registered, and a plain run now skips every stage
    res = runner.invoke(app, ["pipeline", "run", str(tickets), *sets, "--json"])
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert {s["status"] for s in out["stages"]} == {"skipped", "off"}
    assert out["stages"][5]["outputs"]["uri"] == "models:/tickets/1"


def test_cron_line_runs_under_a_lock(tickets: Path, home: Path) -> None:
    res = runner.invoke(app, ["pipeline", "cron", str(tickets), "--schedule", "0 3 * * *"])
    assert res.exit_code == 0, res.output
    line = res.stdout.strip()
    fields = line.split(" ", 5)
    assert fields[:5] == ["0", "3", "*", "*", "*"]
    command = fields[5]
    assert "flock -n" in command and str(tickets) in command and sys.executable in command
    # while the lock is held (a run still going), the scheduled command exits without running
    lock = home / "pipelines" / "tickets" / "cron.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(["flock", str(lock), "sleep", "30"])
    try:
        import time

        time.sleep(0.3)
        busy = subprocess.run(["sh", "-c", command], timeout=60)
        assert busy.returncode != 0
        assert not (home / "pipelines" / "tickets" / "state.json").exists()
    finally:
        holder.kill()
        holder.wait()
    bad = runner.invoke(app, ["pipeline", "cron", str(tickets), "--schedule", "3am"])
    assert bad.exit_code == 2 and "5 cron fields" in bad.output
    assert shlex.split(command)  # the line is valid shell
