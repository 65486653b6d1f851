"""``textops assess``: several models (and predictions from elsewhere) on one split, with
intervals and McNemar's tests, logged to MLflow."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from textops.cli._common import JsonOpt, TrackingOpt, emit, handle_errors


def _log(report, html_text: str | None, tracking_uri: str) -> str:  # type: ignore[no-untyped-def]
    """One MLflow run with each model's figures (prefixed m0_, m1_, ...) and the report."""
    from textops.explain import assessment_figure
    from textops.track import MlflowTracker

    tracker = MlflowTracker(tracking_uri)
    run = tracker.start_run(f"assess {report.dataset}", tags={"textops.kind": "assess"})
    tracker.log_params(
        run,
        {"dataset": report.dataset, "split": report.split, "rows": report.n}
        | {f"m{i}": m.name for i, m in enumerate(report.models)},
    )
    metrics: dict[str, float] = {}
    for i, m in enumerate(report.models):
        values = {
            "accuracy": m.accuracy,
            "macro_f1": m.macro_f1,
            "macro_f1_low": m.macro_f1_ci[0],
            "macro_f1_high": m.macro_f1_ci[1],
            "ece": m.ece,
            "log_loss": m.log_loss,
            "latency_p50_ms": m.latency_p50_ms,
            "latency_p99_ms": m.latency_p99_ms,
        }
        metrics |= {f"m{i}_{k}": float(v) for k, v in values.items() if v is not None}
    tracker.log_metrics(run, metrics)
    tracker.log_dict(run, report.as_json(), "assessment.json")
    tracker.log_figure(run, assessment_figure(report), "assessment.png")
    if html_text is not None:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "assessment.html").write_text(html_text, "utf-8")
            tracker.log_artifacts(run, Path(tmp), "assessment")
    tracker.end_run(run)
    return run


@handle_errors
def assess(
    dataset: Annotated[str, typer.Argument(help="Dataset name (see `textops data list`).")],
    model_uris: Annotated[
        list[str] | None,
        typer.Argument(help="Models to compare: models:/NAME@champion, models:/NAME/3, ..."),
    ] = None,
    predictions: Annotated[
        list[Path] | None,
        typer.Option(
            help="Predictions made elsewhere (an LLM, another system): CSV/TSV/JSONL/Parquet "
            "with predicted_label (or prediction, label), optional proba_<label> columns, and "
            "a text column to match rows (else one row per text in split order). Repeatable."
        ),
    ] = None,
    llm_endpoint: Annotated[
        str | None,
        typer.Option(
            help="Also assess an LLM as a classifier: an OpenAI-compatible API base "
            "(prompted with the labels and --llm-shots train examples per label)."
        ),
    ] = None,
    llm_model: Annotated[str | None, typer.Option(help="Model of --llm-endpoint.")] = None,
    llm_shots: Annotated[
        int, typer.Option(help="Train examples per label in the prompt (0: zero-shot).")
    ] = 2,
    split: Annotated[str, typer.Option(help="The split every model is scored on.")] = "test",
    html: Annotated[Path | None, typer.Option(help="Write the report as one HTML page.")] = None,
    log: Annotated[bool, typer.Option(help="Log the assessment as an MLflow run.")] = True,
    tracking_uri: str | None = TrackingOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Every model on the same split: accuracy, macro-F1 with a bootstrap 95 % interval,
    per-class F1, calibration error with a reliability diagram, log loss, latency p50/p99 per
    text, size; McNemar's test between every pair.

    Example: textops assess tickets models:/tickets@champion models:/tickets/3
    --predictions llm.csv --html assess.html"""
    from textops.data import DatasetStore
    from textops.errors import ConfigError
    from textops.explain import assess as run_assess
    from textops.explain import assessment_html, llm_candidate, read_predictions, score_model
    from textops.track import default_tracking_uri

    if len(model_uris or []) + len(predictions or []) + bool(llm_endpoint) < 1:
        raise ConfigError("give at least one MODEL_URI, --predictions FILE or --llm-endpoint")
    uri = tracking_uri or default_tracking_uri()
    ds = DatasetStore().get(dataset)
    texts, labels = ds.texts(split), ds.labels(split)
    if not texts:
        raise ConfigError(f"split: dataset {dataset!r} has no rows in split {split!r}")
    candidates = [score_model(m, texts, uri) for m in model_uris or []]
    candidates += [read_predictions(p, texts) for p in predictions or []]
    if llm_endpoint:
        if not llm_model:
            raise ConfigError("--llm-endpoint needs --llm-model")
        candidates.append(llm_candidate(ds, texts, llm_endpoint, llm_model, llm_shots))
    report = run_assess(dataset, split, labels, candidates)
    page = assessment_html(report) if html is not None or log else None
    if html is not None and page is not None:
        html.write_text(page, "utf-8")
    run_id = _log(report, page, uri) if log else None
    if as_json:
        emit({**report.as_json(), "run_id": run_id}, True)
        return
    typer.echo(f"{dataset} {split}: {report.n:,} rows")
    typer.echo(f"{'model':<34} {'acc':>6} {'macro-F1 [95 %]':>24} {'ECE':>6} {'p50 ms':>7}")
    for m in report.models:
        ci = f"{m.macro_f1:.4f} [{m.macro_f1_ci[0]:.4f}, {m.macro_f1_ci[1]:.4f}]"
        ece = "-" if m.ece is None else f"{m.ece:.3f}"
        p50 = "-" if m.latency_p50_ms is None else f"{m.latency_p50_ms:.1f}"
        typer.echo(f"{m.name[-34:]:<34} {m.accuracy:>6.3f} {ci:>24} {ece:>6} {p50:>7}")
    for p in report.pairs:
        typer.echo(
            f"McNemar {p.a} vs {p.b}: only-a-right {p.only_a_right}, only-b-right "
            f"{p.only_b_right}, p={p.p_value:.4g}"
        )
    if run_id:
        typer.echo(f"logged to MLflow run {run_id}")
    if html is not None:
        typer.echo(f"wrote {html}")
