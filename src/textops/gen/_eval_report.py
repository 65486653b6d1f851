"""A :class:`GenEvalReport` as a plot (quality against diversity, one point per setting), an
HTML page, and MLflow runs: a parent run with the plot and report, one child run per setting
with its scores."""

from __future__ import annotations

import base64
import functools
import html
import io
import math
from dataclasses import asdict
from typing import TYPE_CHECKING

from textops.gen._eval import GenEvalReport

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from textops.track import Tracker

__all__ = ["eval_figure", "eval_html", "latest_eval", "log_eval", "registered_name"]


def eval_figure(report: GenEvalReport) -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    for s in report.settings:
        y = s.quality if s.quality is not None else (1 - s.self_bleu)
        ax.scatter(s.diversity, y, s=60, color="#dc2626" if s.setting == report.best else "#2563eb")
        ax.annotate(
            s.setting, (s.diversity, y), fontsize=8, xytext=(4, 4), textcoords="offset points"
        )
    ax.set_xlabel(f"diversity (1 - mean pairwise cosine, {report.embedder})")
    quality = any(s.quality is not None for s in report.settings)
    ax.set_ylabel("quality (mean of classifier shares)" if quality else "1 - self-BLEU")
    ax.set_title(f"best: {report.best}" if report.best else "settings", fontsize=10)
    fig.tight_layout()
    return fig


def _num(v: float | None) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.4f}"


def eval_html(report: GenEvalReport) -> str:
    import matplotlib.pyplot as plt

    fig = eval_figure(report)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    png = base64.b64encode(buf.getvalue()).decode()
    cols = ["diversity", "distinct_1", "distinct_2", "self_bleu", "acceptability",
            "non_negative", "perplexity", "mean_words", "copies"]  # fmt: skip
    rows = "".join(
        f"<tr><td>{html.escape(s.setting)}</td><td>{s.n}</td>"
        + "".join(f"<td>{_num(getattr(s, c))}</td>" for c in cols)
        + "</tr>"
        for s in report.settings
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>textops gen eval</title><style>"
        "body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}"
        "td,th{border:1px solid #ddd;padding:4px 8px}</style></head><body>"
        f"<h1>generations by setting</h1><p>best: {html.escape(str(report.best))} "
        f"({html.escape(report.best_reason)})</p><table><tr><th>setting</th><th>n</th>"
        + "".join(f"<th>{c}</th>" for c in cols)
        + f"</tr>{rows}</table><img alt='quality against diversity' "
        f"src='data:image/png;base64,{png}'></body></html>\n"
    )


def registered_name(uri: str | None) -> str | None:
    """The registered model a ``models:/NAME@alias`` or ``models:/NAME/3`` URI names."""
    if not uri or not uri.startswith("models:/"):
        return None
    return uri.removeprefix("models:/").split("@", 1)[0].split("/", 1)[0] or None


def log_eval(report: GenEvalReport, tracker: Tracker, name: str) -> str:
    """The report as a parent run (its JSON, the plot, tagged with the registered generator
    it scored, so a service finds its latest sweep) and one child run per setting."""
    tags = {"textops.kind": "gen-eval"}
    model = registered_name(report.generator)
    if model:
        tags |= {"textops.generator": model, "textops.generator_uri": str(report.generator)}
    parent = tracker.start_run(name, tags=tags)
    tracker.log_params(parent, {"embedder": report.embedder, "best": report.best or "-"})
    for s in report.settings:
        child = tracker.start_run(s.setting, parent_id=parent, tags={"textops.kind": "gen-eval"})
        tracker.log_params(child, {"setting": s.setting, "temperature": s.temperature,
                                   "top_p": s.top_p, "n": s.n})  # fmt: skip
        values = {k: v for k, v in asdict(s).items() if isinstance(v, float) and not math.isnan(v)}
        if s.quality is not None:
            values["quality"] = s.quality
        tracker.log_metrics(child, values)
        tracker.end_run(child)
    tracker.log_dict(parent, report.as_json(), "gen_eval.json")
    tracker.log_figure(parent, eval_figure(report), "quality_vs_diversity.png")
    tracker.end_run(parent)
    return str(parent)


def latest_eval(tracking_uri: str, generator: str) -> GenEvalReport | None:
    """The last ``gen eval`` report logged for the registered generator ``generator`` (any
    version), or None. A dashboard asks every few seconds: the run is looked up each time,
    its report read once (a finished run's artifact does not change)."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri)
    experiments = [e.experiment_id for e in client.search_experiments()]
    quoted = generator.replace("'", "")
    runs = client.search_runs(
        experiments, f"tags.`textops.generator` = '{quoted}'",
        order_by=["attributes.start_time DESC"], max_results=1,
    )  # fmt: skip
    return _stored_report(tracking_uri, runs[0].info.run_id) if runs else None


@functools.lru_cache(maxsize=32)
def _stored_report(tracking_uri: str, run_id: str) -> GenEvalReport:
    import json
    import tempfile
    from pathlib import Path

    from mlflow.tracking import MlflowClient

    with tempfile.TemporaryDirectory() as tmp:
        path = MlflowClient(tracking_uri).download_artifacts(run_id, "gen_eval.json", tmp)
        data = json.loads(Path(path).read_text("utf-8"))
    try:
        report = GenEvalReport.from_json(data)
    except ValueError as exc:
        from textops.errors import DataFormatError

        raise DataFormatError(
            f"run {run_id}: gen_eval.json is not a gen eval report ({exc})"
        ) from exc
    report.run_id = run_id
    return report
