"""``textops review``: the served predictions worth a person's label, and labelling them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from textops.cli._common import (
    JsonOpt,
    MonitorDbOpt,
    TrackingOpt,
    emit,
    field_option,
    handle_errors,
)

if TYPE_CHECKING:
    from textops.review import ReviewQueue, ReviewSession


def _opt(field: str, *names: str) -> Any:
    from textops.review import ReviewConfig

    return field_option(ReviewConfig, field, *names)


def _print(queue: ReviewQueue) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("#", "text", "predicted", "score", "why",
                  title=f"review queue of {queue.model} ({queue.strategy}, "
                  f"{len(queue.items)} of {queue.ranked:,} unlabelled)")  # fmt: skip
    for n, item in enumerate(queue.items, 1):
        text = item.text if len(item.text) <= 70 else item.text[:67] + "..."
        table.add_row(str(n), text, item.predicted, f"{item.score:.2f}", "; ".join(item.reasons))
    console = Console()
    console.print(table, highlight=False)
    for note in queue.notes:
        console.print(f"[yellow]left out[/yellow] {note}", highlight=False)


def ask_label(text: str, about: str, labels: list[str], n: int, total: int) -> str | None:
    """The label a person picks for ``text`` (None: skipped); raises typer.Abort on q."""
    keys = "  ".join(f"{i}={lab}" for i, lab in enumerate(labels[:9], 1))
    typer.echo(f"\n[{n}/{total}] {text}")
    typer.echo(f"  {about}")
    while True:
        answer = typer.prompt(f"  {keys}  s=skip  q=stop", default="s", show_default=False)
        answer = answer.strip().lower()
        if answer == "q":
            raise typer.Abort()
        if answer in ("s", ""):
            return None
        if answer.isdigit() and 1 <= int(answer) <= min(9, len(labels)):
            return labels[int(answer) - 1]
        if answer in (lab.lower() for lab in labels):
            return next(lab for lab in labels if lab.lower() == answer)
        typer.echo("  a number from the list, a label's name, s or q")


def _label_all(session: ReviewSession, reviewer: str) -> int:
    queue, done = session.queue, 0
    try:
        for n, item in enumerate(queue.items, 1):
            about = f"predicted {item.predicted} ({'; '.join(item.reasons)})"
            picked = ask_label(item.text, about, queue.labels, n, len(queue.items))
            if picked is not None:
                session.label(item.prediction_id, picked, reviewer)
                done += 1
    except typer.Abort:
        pass
    typer.echo(f"{done} reviewed label(s) stored for {queue.model} by {reviewer}")
    return done


@handle_errors
def review(
    model_uri: Annotated[
        str, typer.Argument(help="The served model, e.g. models:/tickets@champion.")
    ],
    n: Annotated[int, _opt("n", "--n")] = 50,
    strategy: Annotated[str, _opt("strategy")] = "mixed",
    pool: Annotated[int, _opt("pool")] = 2000,
    spread: Annotated[str, _opt("spread")] = "copies",
    label: Annotated[
        bool, typer.Option("--label", help="Label the queue here (1-9 pick, s skips, q stops).")
    ] = False,
    reviewer: Annotated[
        str | None, typer.Option(help="Who labels (stored with every label; needed by --label).")
    ] = None,
    monitor_db: str | None = MonitorDbOpt,
    tracking_uri: str | None = TrackingOpt,
    as_json: bool = JsonOpt,
) -> None:
    """The served predictions a label would teach most (needs serve --log-text): uncertain
    ones, ones the challenger disagrees with, or texts unlike the training data; near-copies
    dropped so the queue is not many copies of one text. With --label, label them here:
    each label is stored at once as reviewed feedback, the kind retrain may score a
    promotion on.

    Example: textops review models:/tickets@champion --n 20 --label --reviewer alice"""
    from textops._config import load_config
    from textops.errors import ConfigError
    from textops.monitor import default_monitor_url
    from textops.review import ReviewConfig, open_review
    from textops.track import default_tracking_uri

    cfg = load_config(ReviewConfig, uri=model_uri, n=n, strategy=strategy, pool=pool,
                      spread=spread)  # fmt: skip
    if label and not reviewer:
        raise ConfigError("--label needs --reviewer NAME: every reviewed label names its reviewer")
    session = open_review(cfg, tracking_uri=tracking_uri or default_tracking_uri(),
                          monitor_url=monitor_db or default_monitor_url())  # fmt: skip
    queue = session.queue
    if as_json and not label:
        from dataclasses import asdict

        emit(asdict(queue), True)
        return
    _print(queue)
    if label and reviewer:
        _label_all(session, reviewer)
