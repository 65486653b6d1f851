"""``textops data audit``: the labels of a dataset that are probably wrong."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from textops.cli._common import JsonOpt, TrackingOpt, emit, field_option, handle_errors

if TYPE_CHECKING:
    from textops.data import Dataset
    from textops.review import DatasetAudit


def _opt(field: str, *names: str) -> Any:
    from textops.review import AuditConfig

    return field_option(AuditConfig, field, *names)


def _print(audit: DatasetAudit, top: int, html: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    r = audit.report
    console = Console()
    table = Table("row", "text", "given", "suggested", "conf.", "signals",
                  title=f"suspect labels, worst first ({min(top, len(r.suspects))} shown)")  # fmt: skip
    for s in r.suspects[:top]:
        text = s.text if len(s.text) <= 70 else s.text[:67] + "..."
        table.add_row(str(s.row), text, s.given, s.suggested,
                      f"{s.confidence:.2f}", ", ".join(s.signals))  # fmt: skip
    console.print(table, highlight=False)
    signals = ", ".join(f"{k} {v:,}" for k, v in r.by_signal.items())
    console.print(
        f"{len(r.label_suspects):,} suspect labels among {r.rows:,} rows ({signals}); "
        f"out-of-fold probabilities: {r.embedder} + {r.head}, {r.folds} folds, "
        f"{r.seconds:.1f} s",
        highlight=False,
    )
    console.print(f"report: {html}", highlight=False)


def _as_json(audit: DatasetAudit, html: Path, new_version: str | None) -> dict[str, Any]:
    from dataclasses import asdict

    return {
        "dataset": audit.dataset, "version": audit.version, "split": audit.split,
        **asdict(audit.report), "label_suspects": len(audit.report.label_suspects),
        "report": str(html), "quarantined_version": new_version,
    }  # fmt: skip


def _review(audit: DatasetAudit, reviewer: str, quarantine_rest: bool) -> Dataset | None:
    from textops.cli._review import ask_label
    from textops.review import apply_review

    suspects = audit.report.label_suspects
    answers: dict[int, str | None] = {}
    try:
        for n, s in enumerate(suspects, 1):
            about = f"given {s.given}, suggested {s.suggested} (p={s.confidence:.2f})"
            answers[s.row] = ask_label(s.text, about, audit.report.classes, n, len(suspects))
    except typer.Abort:
        pass
    changed = sum(1 for s in suspects if answers.get(s.row) not in (None, s.given))
    typer.echo(f"{len(answers)} suspect(s) reviewed by {reviewer}: {changed} relabelled")
    return apply_review(audit, answers, reviewer, quarantine_rest=quarantine_rest)


@handle_errors
def audit(
    dataset: Annotated[str, typer.Argument(help="A stored dataset's name.")],
    version: Annotated[str | None, _opt("version")] = None,
    split: Annotated[str | None, _opt("split")] = None,
    embedder: Annotated[str | None, _opt("embedder")] = None,
    model: Annotated[str | None, _opt("from_model", "--model")] = None,
    filter_by: Annotated[str, _opt("filter_by")] = "both",
    folds: Annotated[int, _opt("folds")] = 5,
    seed: Annotated[int, _opt("seed")] = 0,
    quarantine: Annotated[
        bool,
        typer.Option(
            help="Move the suspect labels to the quarantine (reason suspect_label) as a new "
            "dataset version, made the latest; the audited version is kept. With --review, "
            "only the suspects nobody answered."
        ),
    ] = False,
    review: Annotated[
        bool,
        typer.Option(
            help="Review the suspects here, worst first (1-9 pick the right label, s skips, "
            "q stops): changed labels make a new dataset version."
        ),
    ] = False,
    reviewer: Annotated[
        str | None,
        typer.Option(help="Who reviews (recorded with each change; needed by --review)."),
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option(help="Where the HTML report goes (default: audits/ under the home)."),
    ] = None,
    top: Annotated[int, typer.Option(help="Suspects shown in the table.")] = 20,
    tracking_uri: str | None = TrackingOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Find labels that are probably wrong: every row scored by a head that never saw it
    (out-of-fold), then confident learning (cleanlab) flags the labels the head disbelieves,
    near-duplicates with different labels flag the less believed one, and outliers are listed.

    --review asks you about each suspect instead: a corrected label makes a new version
    (relabelled.jsonl in it lists each change and its reviewer).

    Examples: textops data audit tickets --split train --quarantine;
    textops data audit tickets --review --reviewer alice;
    textops data audit tickets --model models:/tickets@champion --json"""
    from textops._config import load_config
    from textops._home import home_dir
    from textops.data import DatasetStore
    from textops.errors import ConfigError
    from textops.review import AuditConfig, audit_dataset, quarantine_suspects, write_audit_html

    if review and not reviewer:  # before the audit's minutes, not after
        raise ConfigError("--review needs --reviewer NAME: every change names its reviewer")
    cfg = load_config(
        AuditConfig, dataset=dataset, version=version, split=split, embedder=embedder,
        from_model=model, filter_by=filter_by, folds=folds, seed=seed,
    )  # fmt: skip
    ds = DatasetStore().get(cfg.dataset, cfg.version)
    clf = None
    if cfg.from_model is not None:
        from textops.track import default_tracking_uri, load_classifier

        clf, _ = load_classifier(cfg.from_model, tracking_uri or default_tracking_uri())
    result = audit_dataset(
        ds, split=cfg.split, embedder=cfg.embedder, model=clf, filter_by=cfg.filter_by,
        folds=cfg.folds, seed=cfg.seed, show_progress=None if not as_json else False,
    )  # fmt: skip
    where = html or home_dir() / "audits" / ds.name / f"{ds.version}.html"
    write_audit_html(result, where)
    new_version = None
    if review and reviewer:
        if not as_json:
            _print(result, top, where)
        made = _review(result, reviewer, quarantine)
        new_version = None if made is None else made.version
    elif quarantine and result.report.label_suspects:
        new_version = quarantine_suspects(result).version
    if as_json:
        emit(_as_json(result, where, new_version), True)
        return
    if not review:
        _print(result, top, where)
    if new_version is not None:
        typer.echo(
            f"{ds.name} version {new_version} is the latest (the audited {ds.version} is kept; "
            "its manifest counts what moved and what was relabelled)"
        )
