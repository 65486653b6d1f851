"""``textops pipeline``: run, check and schedule a pipeline file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from textops.cli._common import JsonOpt, emit, handle_errors

app = typer.Typer(
    rich_markup_mode=None,
    help="One YAML file from sources to a promoted model: ingest -> validate -> embed -> "
    "search -> assess -> register -> export -> notify. A stage whose inputs did not change is "
    "skipped; a failed run resumes from the stage that failed.",
    no_args_is_help=True,
)

FileArg = Annotated[
    Path, typer.Argument(help="The pipeline YAML file.", exists=True, dir_okay=False)
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a key, e.g. --set search.timeout=60 (repeatable)."),
]
_MARK = {
    "ran": "ran",
    "skipped": "skipped",
    "off": "off",
    "failed": "FAILED",
    "not_reached": "not reached",
}


def _echo_stage(result) -> None:  # type: ignore[no-untyped-def]
    if result.status == "failed":
        detail = "(the error follows)"  # printed once, with what to do next, as the run ends
    elif result.status != "ran":
        detail = result.message
    else:
        detail = _summary(result.stage, result.outputs)
    typer.echo(f"  {result.stage:<9} {_MARK[result.status]:<12} {result.seconds:>8.2f}s  {detail}")


def _summary(stage: str, out: dict) -> str:  # type: ignore[type-arg]
    if stage == "ingest":
        return (
            f"{out['dataset']}@{out['version']}: {out['rows']:,} rows, {out['rejected']:,} rejected"
        )
    if stage == "search":
        return (
            f"{out['embedder']} + {out['head']}: cv macro-F1 {out['cv_macro_f1']:.4f}, "
            + (
                "every row pooled (few labels)"
                if out.get("estimate") == "cv"
                else f"test {out['test_macro_f1']:.4f}"
            )
            + f" ({out['trials']} trial{'' if out['trials'] == 1 else 's'})"
        )
    if stage == "assess" and out.get("assessed"):
        champ = out.get("champion")
        vs = (
            f" vs champion {champ['macro_f1']:.4f}, McNemar p={out['mcnemar_p']:.3g}"
            if champ
            else ""
        )
        return f"macro-F1 {out['candidate']['macro_f1']:.4f}{vs}"
    if stage == "assess":
        return str(out.get("why", ""))
    if stage == "register":
        return f"{out['uri']} -> {out['alias']}: {out['why']}"
    return ""


@app.command("run")
@handle_errors
def run(
    file: FileArg,
    set_: SetOpt = None,
    stage: Annotated[
        list[str] | None,
        typer.Option(
            "--stage",
            help="Run only this stage (repeatable); the ones before it are "
            "read from the last run. What an orchestrator's task runs.",
        ),
    ] = None,
    force: Annotated[
        list[str] | None, typer.Option(help="Run this stage even if its inputs did not change.")
    ] = None,
    run_key: Annotated[
        str | None,
        typer.Option(
            help="Calls with the same key share one MLflow parent run (Airflow's run_id)."
        ),
    ] = None,
    as_json: bool = JsonOpt,
) -> None:
    """Run the pipeline. Each stage says whether it ran or was skipped (inputs unchanged).

    Example: textops pipeline run pipeline.yaml --set search.timeout=60"""
    from textops.pipeline import PipelineError, load_pipeline, run_pipeline

    config = load_pipeline(file, set_ or [])
    if not as_json:
        typer.echo(f"pipeline {config.name}")
    try:
        result = run_pipeline(
            config,
            only=stage or None,
            force=force or (),
            run_key=run_key,
            on_stage=None if as_json else _echo_stage,
        )
    except PipelineError as exc:
        if as_json:
            emit({**exc.result.as_json(), "error": str(exc)}, True)
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(exc.exit_code) from None
    if as_json:
        emit(result.as_json(), True)
        return
    skipped = sum(s.status == "skipped" for s in result.stages)
    typer.echo(f"done in {result.seconds:.1f}s ({skipped} skipped); MLflow run {result.run_id}")


@app.command("validate")
@handle_errors
def validate(file: FileArg, set_: SetOpt = None, as_json: bool = JsonOpt) -> None:
    """Check a pipeline file without running it: every key, the search's options, the stages."""
    from textops.pipeline import STAGES, load_pipeline

    config = load_pipeline(file, set_ or [])
    stages = [s.name for s in STAGES if s.enabled(config)]
    if as_json:
        emit(
            {
                "valid": True,
                "name": config.name,
                "stages": stages,
                "config": config.model_dump(mode="json", by_alias=True),
            },
            True,
        )
        return
    typer.echo(f"{file}: valid pipeline {config.name!r}; stages: {' -> '.join(stages)}")


@app.command("airflow")
@handle_errors
def airflow(
    file: FileArg,
    schedule: Annotated[
        str, typer.Option(help="Cron expression or preset; 'none' for manual.")
    ] = "@daily",
    set_: SetOpt = None,
    retries: Annotated[int, typer.Option(help="Retries of a failed stage task.")] = 2,
) -> None:
    """Print an Airflow DAG (one task per stage) for the pipeline.

    Example: textops pipeline airflow pipeline.yaml --schedule "@daily" > dags/tickets.py"""
    from textops.pipeline import airflow_dag, load_pipeline

    config = load_pipeline(file, set_ or [])
    sched = None if schedule.lower() == "none" else schedule
    typer.echo(
        airflow_dag(config, file, schedule=sched, overrides=set_ or [], retries=retries), nl=False
    )


@app.command("cron")
@handle_errors
def cron(
    file: FileArg,
    schedule: Annotated[str, typer.Option(help="Five cron fields.")] = "0 3 * * *",
    set_: SetOpt = None,
) -> None:
    """Print a crontab line running the pipeline, behind a lock so two runs never overlap.

    Example: (crontab -l; textops pipeline cron pipeline.yaml) | crontab -"""
    from textops.pipeline import cron_line, load_pipeline

    config = load_pipeline(file, set_ or [])
    typer.echo(cron_line(config, file, schedule=schedule, overrides=set_ or []))
