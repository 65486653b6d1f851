"""``textops monitor report``: an HTML page on what a served model has been doing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from textops.cli._common import JsonOpt, TrackingOpt, emit, handle_errors

app = typer.Typer(
    rich_markup_mode=None, help="Monitoring of served models: reports from the prediction log."
)


@app.command("report")
@handle_errors
def report(
    model_uri: Annotated[
        str | None,
        typer.Argument(
            help="The served model, e.g. models:/NAME@champion (default: the model version of the "
            "latest logged prediction)."
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only this recent period: 30m, 12h, 1d, 7d (default: all).")
    ] = None,
    output: Annotated[Path, typer.Option(help="HTML file to write.")] = Path("report.html"),
    monitor_db: Annotated[
        str | None,
        typer.Option(help="The service's monitor database (default: sqlite in the textops home)."),
    ] = None,
    tracking_uri: str | None = TrackingOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Traffic, latency, label mix, live accuracy and drift against the model's training
    reference, as one self-contained HTML page (plots inline; opens offline)."""
    from textops.errors import ConfigError
    from textops.monitor import MonitorStore, parse_window, write_report
    from textops.serve import load_served_model
    from textops.track import default_tracking_uri

    seconds = None
    if since is not None:
        kind, seconds = parse_window(since)
        if kind != "time":
            raise ConfigError(f"--since {since}: give a duration such as 30m, 12h or 1d")
    from textops.monitor import default_monitor_url

    store = MonitorStore(monitor_db or default_monitor_url())
    if model_uri is None:
        latest = store.recent(limit=1)
        if not latest or not latest[0]["model_name"]:
            raise ConfigError(
                "the prediction log is empty (or holds run models); pass MODEL_URI, e.g. "
                "models:/NAME@champion"
            )
        model_uri = f"models:/{latest[0]['model_name']}/{latest[0]['model_version']}"
    model = load_served_model(model_uri, tracking_uri or default_tracking_uri(), backend="torch")
    if model.kind != "classifier":
        raise ConfigError(
            f"{model_uri} is a text generator: it has no labels to monitor (score its samples "
            "with `textops gen eval`)"
        )
    summary = write_report(store, model, since=seconds, output=output)
    if as_json:
        emit(summary.as_json(), True)
        return
    acc = "-" if summary.accuracy is None else f"{summary.accuracy:.3f}"
    drift, m = summary.drift, summary.model
    flagged = drift.drifting
    typer.echo(
        f"{m.name} v{m.version}: {summary.predictions:,} predictions, "
        f"{summary.feedback:,} feedback labels, live accuracy {acc}; drift: "
        f"{', '.join(flagged) if flagged else 'none'}" + (f" ({drift.note})" if drift.note else "")
    )
    if summary.other_versions:
        listed = ", ".join(f"v{v} {n:,}" for v, n in summary.other_versions.items())
        typer.echo(f"not in this report, other versions in the log: {listed}")
    typer.echo(f"wrote {output}")
