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
    given = os.environ.get("TEXTOPS_AIRFLOW_PYTHON")
    if given:  # `make test` built it: a missing one is a failure, not a skip
        assert Path(given).exists(), f"TEXTOPS_AIRFLOW_PYTHON={given} does not exist"
        return given
    python = str(Path(".venv-airflow/bin/python").absolute())
    if not Path(python).exists():
        pytest.skip(
            "no Airflow venv: `make test` builds .venv-airflow (Airflow pins its own packages)"
        )
    return python


def test_airflow_dag_loads_and_runs(tickets: Path, home: Path, tmp_path: Path) -> None:
    python = _airflow_python()
    # a Jinja expression in an override reaches the pipeline as itself (Airflow renders the
    # task's command as a template): the plain run below then finds every stage unchanged
    sets = [a for o in fast("search.study=s{{ 7*7 }}") for a in ("--set", o)]
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
    assert out["stages"][3]["outputs"]["study"] == "s{{ 7*7 }}"


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


def _as_cron_runs(command: str) -> tuple[str, str]:
    """What cron does with a crontab command (crontab(5)): an unescaped ``%`` ends the command
    (the rest is stdin, its other ``%`` newlines); ``\\%`` is a literal ``%``."""
    out, i = [], 0
    while i < len(command):
        ch = command[i]
        if ch == "\\" and command[i + 1 : i + 2] == "%":
            out.append("%")
            i += 2
            continue
        if ch == "%":
            return "".join(out), command[i + 1 :].replace("%", "\n")
        out.append(ch)
        i += 1
    return "".join(out), ""


def test_cron_line_keeps_a_percent_sign(tickets: Path, home: Path, tmp_path: Path) -> None:
    """A ``%`` in a --set value (or a path) reaches the pipeline as itself, not as a line
    break that cuts the command short."""
    study = "daily_%Y%m%d"
    res = runner.invoke(
        app, ["pipeline", "cron", str(tickets), *[a for o in fast() for a in ("--set", o)],
              "--set", f"search.study={study}"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    command = res.stdout.strip().split(" ", 5)[5]
    ran, stdin = _as_cron_runs(command)
    assert stdin == "", "a % was left unescaped: cron would cut the command there"
    assert f"search.study={study}" in shlex.split(ran)
    done = subprocess.run(["sh", "-c", ran], timeout=300)
    assert done.returncode == 0
    state = json.loads((home / "pipelines" / "tickets" / "state.json").read_text())
    assert state["stages"]["search"]["outputs"]["study"] == study


def test_schedules_are_checked(tickets: Path) -> None:
    for bad in ("@every_minute", "0 3 * * *\n* * * * * curl evil", "0 3 * *", "* * * * * *"):
        res = runner.invoke(app, ["pipeline", "cron", str(tickets), "--schedule", bad])
        assert res.exit_code == 2, (bad, res.output)
        res = runner.invoke(app, ["pipeline", "airflow", str(tickets), "--schedule", bad])
        assert res.exit_code == 2, (bad, res.output)
    ok = runner.invoke(app, ["pipeline", "cron", str(tickets), "--schedule", "@daily"])
    assert ok.exit_code == 0 and ok.stdout.startswith("@daily ")
    bad_set = runner.invoke(app, ["pipeline", "cron", str(tickets), "--set", "search.study=a\nb"])
    assert bad_set.exit_code == 2 and "line break" in bad_set.output


def test_the_dag_renders_overrides_as_they_are(tickets: Path) -> None:
    """Airflow renders ``bash_command`` and ``env`` with Jinja: an override ``{{ 7*7 }}`` must
    come out as itself (rendered here with Jinja, as Airflow does)."""
    import ast

    import jinja2

    res = runner.invoke(
        app, ["pipeline", "airflow", str(tickets), "--set", "search.study=s{{ 7*7 }}{% if 1 %}x"]
    )
    assert res.exit_code == 0, res.output
    tree = ast.parse(res.stdout)
    consts = {
        t.targets[0].id: ast.literal_eval(t.value)
        for t in tree.body
        if isinstance(t, ast.Assign) and isinstance(t.targets[0], ast.Name)
    }
    rendered = jinja2.Template(consts["TEXTOPS"]).render()
    assert "search.study=s{{ 7*7 }}{% if 1 %}x" in shlex.split(rendered)
    assert "study=s49" not in rendered
    env = {k: jinja2.Template(v).render() for k, v in consts["ENV"].items()}
    assert env["HF_HUB_OFFLINE"] == "1" and env["TEXTOPS_HOME"]
