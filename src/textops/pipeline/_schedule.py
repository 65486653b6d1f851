"""Scheduling a pipeline on what a team already runs: an Airflow DAG with one task per stage
(the UI shows where a run failed, and a retry reruns that stage alone: the stages before it
are read from the pipeline's state), or one crontab line behind a lock."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from textops._home import home_dir
from textops.pipeline._config import PipelineConfig
from textops.pipeline._stages import STAGES

__all__ = ["airflow_dag", "cron_line"]

_DAG = '''"""Airflow DAG for the textops pipeline {name!r}, written by `textops pipeline airflow`.

One task per stage; each runs `textops pipeline run --stage STAGE` in its own process, so a
retry reruns only the failed stage. Stages whose inputs did not change finish at once.
"""

from datetime import datetime, timedelta

try:  # Airflow 3
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG
try:
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # Airflow 2 without the standard provider
    from airflow.operators.bash import BashOperator

TEXTOPS = {command!r}
ENV = {env!r}

with DAG(
    dag_id={dag_id!r},
    description="textops pipeline {name}: sources to a promoted model",
    schedule={schedule!r},
    start_date=datetime({start}),
    catchup=False,
    max_active_runs=1,  # two runs of one pipeline never overlap
    default_args={{"retries": {retries}, "retry_delay": timedelta(minutes={retry_minutes})}},
    tags=["textops"],
) as dag:
    previous = None
    for stage in {stages!r}:
        task = BashOperator(
            task_id=stage,
            bash_command=TEXTOPS + " --stage " + stage + " --run-key '{{{{ run_id }}}}'",
            env=ENV,
            append_env=True,
        )
        if previous is not None:
            previous >> task
        previous = task
'''


def _command(path: Path, overrides: Sequence[str], python: str) -> str:
    parts = [python, "-m", "textops", "pipeline", "run", str(path.resolve())]
    for item in overrides:
        parts += ["--set", item]
    return shlex.join(parts)


def _env(home: str | Path | None, tracking_uri: str | None) -> dict[str, str]:
    env = {"TEXTOPS_HOME": str(home_dir(home).resolve()), "HF_HUB_OFFLINE": "1"}
    if tracking_uri:
        env["MLFLOW_TRACKING_URI"] = tracking_uri
    return env


def airflow_dag(
    config: PipelineConfig,
    path: str | Path,
    *,
    schedule: str | None = "@daily",
    overrides: Sequence[str] = (),
    home: str | Path | None = None,
    retries: int = 2,
    retry_minutes: int = 5,
    python: str | None = None,
) -> str:
    """The source of an Airflow DAG running pipeline ``path`` on ``schedule`` (a cron
    expression, a preset such as ``@daily``, or None for manual runs only)."""
    return _DAG.format(
        name=config.name,
        dag_id=f"textops_{config.name}".replace("-", "_"),
        command=_command(Path(path), overrides, python or sys.executable),
        env=_env(home, config.tracking_uri),
        schedule=schedule,
        start="2026, 1, 1",
        retries=retries,
        retry_minutes=retry_minutes,
        stages=[s.name for s in STAGES if s.enabled(config)],
    )


def cron_line(
    config: PipelineConfig,
    path: str | Path,
    *,
    schedule: str = "0 3 * * *",
    overrides: Sequence[str] = (),
    home: str | Path | None = None,
    python: str | None = None,
) -> str:
    """A crontab line: ``flock -n`` so a run still going when the next one is due makes that
    one exit at once (the pipeline's own lock refuses it too), output appended to a log."""
    fields = schedule.split()
    if len(fields) != 5 and not schedule.startswith("@"):
        from textops.errors import ConfigError

        raise ConfigError(f"--schedule {schedule!r}: give 5 cron fields, e.g. '0 3 * * *'")
    folder = home_dir(home).resolve() / "pipelines" / config.name
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in _env(home, config.tracking_uri).items())
    lock, log = shlex.quote(str(folder / "cron.lock")), shlex.quote(str(folder / "cron.log"))
    command = _command(Path(path), overrides, python or sys.executable)
    return (
        f"{schedule} mkdir -p {shlex.quote(str(folder))} && {env} flock -n {lock} {command} "
        f">> {log} 2>&1"
    )
