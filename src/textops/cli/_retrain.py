"""``textops retrain``: a new version from the service's feedback, promoted only through the gate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from textops.cli._common import JsonOpt, MonitorDbOpt, TrackingOpt, emit, handle_errors


@handle_errors
def retrain(
    model_uri: Annotated[
        str, typer.Argument(help="The served model, e.g. models:/tickets@champion.")
    ],
    from_feedback: Annotated[
        bool,
        typer.Option(
            "--from-feedback/--no-feedback",
            help="Add the predictions that received feedback (needs serve --log-text).",
        ),
    ] = True,
    since: Annotated[
        str | None,
        typer.Option(help="Only feedback from this window, e.g. 7d, 12h (default: all)."),
    ] = None,
    pipeline: Annotated[
        Path | None,
        typer.Option(
            help="Pipeline file whose sources, search and gate to use (the feedback is "
            "added to its sources); default: the champion's dataset and settings."
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a pipeline key, e.g. search.timeout=120."),
    ] = None,
    monitor_db: str | None = MonitorDbOpt,
    tracking_uri: str | None = TrackingOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Retrain from feedback: the labelled predictions join the champion's data as a new
    dataset version, then search, assess and register; the new version becomes champion only
    if the gate passes, and a service following @champion swaps it in.

    Feedback teaches but never decides: unreviewed labels go to the train split only (a label
    contradicting the dataset is quarantined, the dataset's row kept), and the gate scores the
    candidate and the champion on the champion's held-out rows plus reviewed feedback
    (sent with the admin key and a reviewer).

    Example: textops retrain models:/tickets@champion --since 7d --set search.timeout=300"""
    from textops.errors import ConfigError
    from textops.monitor import parse_window
    from textops.pipeline import retrain as run_retrain

    if not from_feedback:
        raise ConfigError(
            "retrain learns from feedback; to retrain on new sources, run the pipeline"
        )
    seconds = None
    if since is not None:
        kind, value = parse_window(since)
        if kind != "time":
            raise ConfigError(f"--since {since!r}: give a duration such as 7d or 12h")
        seconds = value
    result = run_retrain(
        model_uri,
        since_seconds=seconds,
        pipeline=pipeline,
        overrides=set_ or [],
        monitor_url=monitor_db,
        tracking_uri=tracking_uri,
    )
    if as_json:
        emit(result.as_json(), True)
        return
    typer.echo(
        f"{result.feedback_rows:,} feedback rows with text from {result.feedback_sources} "
        f"source(s): {result.reviewed_rows:,} reviewed, {result.unreviewed_rows:,} unreviewed "
        "(train only)"
        + (
            f"; {result.feedback_without_text:,} more without text (serve with --log-text)"
            if result.feedback_without_text
            else ""
        )
        + f"; {result.base_dataset} -> {result.dataset}"
    )
    gate = result.gate
    if gate is not None and gate.champion_macro_f1 is not None:
        typer.echo(
            f"scored on {result.scored_rows:,} held-out rows (unreviewed feedback is never "
            f"among them): candidate macro-F1 "
            f"{gate.challenger_macro_f1:.4f}, champion v{result.champion_version} "
            f"{gate.champion_macro_f1:.4f}"
        )
        typer.echo(f"gate {gate.gate}: {'promote' if gate.promote else 'keep the champion'}")
    verdict = "promoted to champion" if result.promoted else "not promoted"
    typer.echo(f"models:/{result.model}/{result.new_version} {verdict}: {result.why}")
