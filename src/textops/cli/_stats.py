"""``textops stats``: which style features set a dataset's classes apart (AI-vs-human essays,
spam), with tests, corrected p-values, effect sizes and box plots."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from textops.cli._common import JsonOpt, emit, handle_errors


def _fmt(v: float | None) -> str:
    return "-" if v is None or not math.isfinite(v) else f"{v:.3g}"


def _short_names(labels: list[str], limit: int = 12) -> dict[str, str]:
    """Labels as the table shows them: as they are when they fit, else letters with a legend
    (cutting them could leave two labels with one name: billing_refund_request and
    billing_refund_status)."""
    if all(len(k) <= limit for k in labels):
        return {k: k for k in labels}
    letters = [chr(ord("A") + i) for i in range(26)]
    return {k: (letters[i] if i < 26 else f"L{i + 1}") for i, k in enumerate(labels)}


@handle_errors
def stats(
    dataset: Annotated[str, typer.Argument(help="Dataset name (see `textops data list`).")],
    split: Annotated[
        str, typer.Option(help="Split to describe (train, validation, test, or all).")
    ] = "train",
    features: Annotated[
        str,
        typer.Option(
            help="Comma-separated feature groups: linguistic (length, punctuation, casing, "
            "readability incl. Gunning fog and SMOG, lexical density, sentence-length "
            "variance, ...), flow (mean similarity of consecutive sentences, MiniLM through "
            "the embedding cache)."
        ),
    ] = "linguistic,flow",
    reference: Annotated[
        str | None,
        typer.Option(help="Reference class: Glass's delta divides by its standard deviation."),
    ] = None,
    html: Annotated[
        Path | None, typer.Option(help="Write a report with tables and box plots.")
    ] = None,
    top: Annotated[int, typer.Option(help="Features listed, by largest |Cohen's d|.")] = 20,
    as_json: bool = JsonOpt,
) -> None:
    """Per class mean, sd and median of each feature; between classes Welch's t-test,
    Mann-Whitney U, Kruskal-Wallis (more than two classes), Cohen's d and Glass's delta, with
    Holm-corrected p-values (scipy and statsmodels).

    Example: textops stats essays --reference human --html stats.html"""
    from textops.data import DatasetStore
    from textops.embed import EmbeddingCache
    from textops.explain import dataset_statistics

    ds = DatasetStore().get(dataset)
    groups = [g.strip() for g in features.split(",") if g.strip()]
    if "linguistic" in groups and ds.language not in (None, "en"):
        typer.secho(
            f"warning: {dataset} is mostly {ds.language!r}, and the linguistic features are "
            "made for English (readability formulas, English function words): read their "
            "differences with care",
            err=True, fg=typer.colors.YELLOW,
        )  # fmt: skip
    report = dataset_statistics(
        ds,
        None if split == "all" else split,
        groups,
        reference=reference,
        cache=EmbeddingCache(),
        show_progress=None if not as_json else False,
    )
    if html is not None:
        html.write_text(report.html(), "utf-8")
    if as_json:
        emit(report.as_json(), True)
        return
    counts = ", ".join(f"{k} {v:,}" for k, v in sorted(report.counts.items()))
    typer.echo(f"{dataset} ({split}): {counts}")
    rows = [(fs, p) for fs in report.features for p in fs.pairs]
    rows.sort(key=lambda r: -abs(r[1].cohens_d) if math.isfinite(r[1].cohens_d) else 0.0)
    short = _short_names(sorted(report.counts))
    if any(short[k] != k for k in short):
        typer.echo("labels: " + ", ".join(f"{v} = {k}" for k, v in short.items() if v != k))
    width = max([4, *(len(f"{short[p.a]} vs {short[p.b]}") for _, p in rows[:top])])
    typer.echo(f"{'feature':<26} {'pair':<{width}} {'mean a':>9} {'mean b':>9} {'d':>7} "
               f"{'delta':>7} {'Welch p*':>9} {'MWU p*':>9}")  # fmt: skip
    for fs, p in rows[:top]:
        pair = f"{short[p.a]} vs {short[p.b]}"
        typer.echo(
            f"{fs.feature:<26} {pair:<{width}} {_fmt(fs.classes[p.a].mean):>9} "
            f"{_fmt(fs.classes[p.b].mean):>9} {_fmt(p.cohens_d):>7} {_fmt(p.glass_delta):>7} "
            f"{_fmt(p.welch_p_holm):>9} {_fmt(p.mannwhitney_p_holm):>9}"
        )
    typer.echo("p*: Holm-corrected over every feature and pair; d: Cohen's d; delta: Glass's")
    if any(fs.kruskal_p is not None for fs in report.features):
        typer.echo("Kruskal-Wallis across all classes: --json or --html")
    if html is not None:
        typer.echo(f"wrote {html}")
