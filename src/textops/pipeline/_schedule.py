"""Scheduling a pipeline on what a team already runs: an Airflow DAG with one task per stage
(the UI shows where a run failed, and a retry reruns that stage alone: the stages before it
are read from the pipeline's state), or one crontab line behind a lock.

Both are programs others run, written from user input (paths, ``--set`` values, the
schedule), so each value is escaped for every layer that reads it: the shell (``shlex``),
crontab (a bare ``%`` ends the command and starts its stdin) and Jinja (Airflow renders
``bash_command`` and ``env`` as templates: ``{{ 7*7 }}`` in an override would become ``49``).
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from textops._home import home_dir
from textops.errors import ConfigError
from textops.pipeline._config import PipelineConfig
from textops.pipeline._stages import STAGES

__all__ = ["airflow_dag", "check_schedule", "cron_line", "jinja_literal"]

#: the ``@`` macros cron (and Airflow's presets) know
CRON_MACROS = frozenset(
    {"@reboot", "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)
_FIELD = re.compile(r"^[0-9A-Za-z*/,?-]{1,40}$")


def check_schedule(schedule: str, *, reboot: bool = True) -> str:
    """``schedule`` when it is five cron fields or a known ``@`` macro; else a ConfigError."""
    if schedule.startswith("@"):
        known = CRON_MACROS if reboot else CRON_MACROS - {"@reboot"}
        if schedule not in known:
            raise ConfigError(
                f"--schedule {schedule!r}: not a cron macro; use one of {', '.join(sorted(known))}"
            )
        return schedule
    fields = schedule.split(" ")
    if len(fields) != 5 or not all(_FIELD.match(f) for f in fields):
        raise ConfigError(
            f"--schedule {schedule!r}: give 5 cron fields separated by single spaces, e.g. "
            "'0 3 * * *' (digits, names, * / , - only), or a macro such as @daily"
        )
    return schedule


def jinja_literal(text: str) -> str:
    """``text`` as a Jinja template that renders to ``text`` itself: every ``{`` (which starts
    ``{{``, ``{%`` and ``{#``) becomes an expression printing it."""
    return text.replace("{", '{{ "{" }}')


def _cron_escape(command: str) -> str:
    r"""Crontab turns an unescaped ``%`` into a newline (the rest becomes stdin); ``\%`` is a
    literal ``%`` (cron removes the backslash)."""
    return command.replace("%", "\\%")


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
        if "\n" in item or "\r" in item or "\0" in item:
            raise ConfigError(f"--set {item!r}: a value cannot hold a line break or NUL")
        parts += ["--set", item]
    return shlex.join(parts)


def _literal_env(env: Mapping[str, str]) -> dict[str, str]:
    return {k: jinja_literal(v) for k, v in env.items()}


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
    if schedule is not None:
        check_schedule(schedule, reboot=False)
    return _DAG.format(
        name=config.name,
        dag_id=f"textops_{config.name}".replace("-", "_"),
        command=jinja_literal(_command(Path(path), overrides, python or sys.executable)),
        env=_literal_env(_env(home, config.tracking_uri)),
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
    check_schedule(schedule)
    folder = home_dir(home).resolve() / "pipelines" / config.name
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in _env(home, config.tracking_uri).items())
    lock, log = shlex.quote(str(folder / "cron.lock")), shlex.quote(str(folder / "cron.log"))
    command = _command(Path(path), overrides, python or sys.executable)
    line = f"mkdir -p {shlex.quote(str(folder))} && {env} flock -n {lock} {command} >> {log} 2>&1"
    if any(c in line for c in "\n\r\0"):  # crontab has one entry per line
        raise ConfigError("a path or value holds a line break: it cannot go into a crontab line")
    return f"{schedule} {_cron_escape(line)}"
