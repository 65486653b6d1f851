"""``textops monitor report``: one self-contained HTML page (plots inline, works offline) on
traffic, latency, label mix, live accuracy and drift over a period of the prediction log."""

from __future__ import annotations

import base64
import dataclasses
import html
import io
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from textops._types import JSON
from textops.model import TrainingReference, oov_rate
from textops.monitor._drift import drift_report
from textops.monitor._drift_types import (
    DriftReport,
    DriftTest,
    DriftThresholds,
    LabelMixTest,
    ReportedModel,
)
from textops.monitor._records import PredictionRecord
from textops.monitor._served import EmbeddingModel
from textops.monitor._store import MonitorStore

__all__ = ["MonitorSummary", "write_report"]


@dataclass(frozen=True)
class MonitorSummary:
    """What a report covers: one model version's traffic, feedback, accuracy and drift."""

    model: ReportedModel
    predictions: int
    feedback: int
    accuracy: float | None
    other_versions: dict[str, int]
    output: str
    drift: DriftReport

    def as_json(self) -> JSON:
        out = dataclasses.asdict(self)
        out["drift"] = self.drift.as_json()
        return out


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _figures(
    rows: list[PredictionRecord],
    labelled: list[tuple[str, str, float]],
    ref: TrainingReference | None,
) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figs: dict[str, str] = {}
    ts = np.array([r["ts"] for r in rows])
    edges = np.linspace(ts.min(), ts.max() + 1e-6, 25)
    mids = [time.strftime("%m-%d %H:%M", time.localtime(x)) for x in (edges[:-1] + edges[1:]) / 2]
    idx = np.clip(np.digitize(ts, edges) - 1, 0, len(edges) - 2)
    fig, ax = plt.subplots(figsize=(8, 2.6))
    ax.bar(range(len(mids)), np.bincount(idx, minlength=len(mids)), color="#4C78A8")
    ax.set_title("predictions over time")
    ax.set_xticks(range(0, len(mids), 4), mids[::4], fontsize=7)
    figs["traffic"] = _png(fig)

    lat = np.array([r["latency_ms"] or 0.0 for r in rows])
    p50 = [
        float(np.median(lat[idx == i])) if (idx == i).any() else np.nan for i in range(len(mids))
    ]
    fig, ax = plt.subplots(figsize=(8, 2.6))
    ax.plot(range(len(mids)), p50, marker="o", color="#F58518")
    ax.set_title("median request latency (ms)")
    ax.set_xticks(range(0, len(mids), 4), mids[::4], fontsize=7)
    figs["latency"] = _png(fig)

    labels = list(ref.labels) if ref else sorted({r["label"] for r in rows})
    cur = np.array([sum(r["label"] == lab for r in rows) for lab in labels], dtype=float)
    fig, ax = plt.subplots(figsize=(8, 2.8))
    x = np.arange(len(labels))
    if ref:
        rc = np.array([ref.predicted_label_counts.get(lab, 0) for lab in labels], dtype=float)
        ax.bar(x - 0.2, rc / max(rc.sum(), 1), 0.4, label="reference (test split)", color="#BAB0AC")
    ax.bar(x + 0.2, cur / max(cur.sum(), 1), 0.4, label="served", color="#4C78A8")
    ax.set_xticks(x, labels, rotation=30, fontsize=8)
    ax.set_title("predicted-label mix")
    ax.legend(fontsize=8)
    figs["labels"] = _png(fig)

    if ref:
        fig, ax = plt.subplots(figsize=(8, 2.6))
        top = max(max(ref.lengths), max(r["text_chars"] for r in rows))
        bins = [float(b) for b in np.linspace(0, top, 40)]
        ax.hist(ref.lengths, bins=bins, alpha=0.6, density=True, label="training", color="#BAB0AC")
        ax.hist(
            [r["text_chars"] for r in rows],
            bins=bins,
            alpha=0.6,
            density=True,
            label="served",
            color="#4C78A8",
        )
        ax.set_title("text length (characters)")
        ax.legend(fontsize=8)
        figs["lengths"] = _png(fig)

    if labelled:
        lt = np.array([x[2] for x in labelled])
        ok = np.array([x[0] == x[1] for x in labelled], dtype=float)
        li = np.clip(np.digitize(lt, edges) - 1, 0, len(edges) - 2)
        acc = [float(ok[li == i].mean()) if (li == i).any() else np.nan for i in range(len(mids))]
        fig, ax = plt.subplots(figsize=(8, 2.6))
        ax.plot(range(len(mids)), acc, marker="o", color="#54A24B")
        ax.set_ylim(0, 1.02)
        ax.set_title("live accuracy (feedback), by feedback time")
        ax.set_xticks(range(0, len(mids), 4), mids[::4], fontsize=7)
        figs["accuracy"] = _png(fig)
    return figs


def write_report(
    store: MonitorStore,
    model: EmbeddingModel,
    *,
    since: float | None,
    output: Path,
    max_embed: int = 1000,
) -> MonitorSummary:
    """Write the HTML page about the one model version ``model`` is; return its summary
    (counts, accuracy, drift, and the other versions of the model the log holds)."""
    start = None if since is None else time.time() - since
    name, version = model.name, model.version
    rows = store.recent(since=start, model_name=name, model_version=version)
    labelled = store.labelled(since=start, model_name=name, model_version=version)
    ref = model.reference
    others = {
        str(version): n
        for (name, version), n in sorted(store.versions(since=start).items(), key=str)
        if name == model.name and version != model.version
    }
    drift = DriftReport(
        drift=False, n_current=len(rows), thresholds=DriftThresholds(), note="no drift reference"
    )
    if ref is not None and rows:
        texts = [t for r in rows if (t := r["text"])]
        vocab = ref.vocab_set
        vectors = None
        if texts and ref.vectors is not None:
            X = model.embed(texts[:max_embed])
            vectors = X if isinstance(X, np.ndarray) else None
        drift = drift_report(
            ref,
            labels=[r["label"] for r in rows],
            lengths=[r["text_chars"] for r in rows],
            oov=[oov_rate(t, vocab) for t in texts] if texts else None,
            vectors=vectors,
        )
        if not texts:
            drift = dataclasses.replace(
                drift,
                note="texts are not logged (serve --log-text): OOV and embedding drift skipped",
            )
    summary = MonitorSummary(
        model=ReportedModel(model.name, model.version),
        predictions=len(rows),
        feedback=len(labelled),
        accuracy=(sum(p == t for p, t, _ in labelled) / len(labelled)) if labelled else None,
        other_versions=others,
        output=str(output),
        drift=drift,
    )
    figs = _figures(rows, labelled, ref) if rows else {}
    output.write_text(_html(summary, figs, drift))
    return summary


def _others(summary: MonitorSummary) -> str:
    others = summary.other_versions
    if not others:
        return ""
    listed = ", ".join(f"v{v}: {n:,}" for v, n in others.items())
    return (
        f"<p>This report covers version {html.escape(str(summary.model.version))} only. "
        f"The log also holds predictions of other versions ({html.escape(listed)}); report "
        "on one with <code>models:/NAME/VERSION</code>.</p>"
    )


def _p_value(t: DriftTest) -> float:
    return t.chi2_p_value if isinstance(t, LabelMixTest) else t.p_value


def _html(summary: MonitorSummary, figs: dict[str, str], drift: DriftReport) -> str:
    e = html.escape
    acc = "-" if summary.accuracy is None else f"{summary.accuracy:.3f}"
    rows = "".join(
        f"<tr><td>{e(name)}</td><td>{e(str(t.score))}</td><td>{e(str(_p_value(t)))}</td>"
        f"<td class={'bad' if t.drifted else 'ok'}>{'DRIFT' if t.drifted else 'ok'}</td></tr>"
        for name, t in drift.tests.items()
    )
    imgs = "".join(f'<h2>{e(k)}</h2><img alt="{e(k)}" src="{v}">' for k, v in figs.items())
    m = summary.model
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>textops monitor report</title>
<style>body{{font-family:sans-serif;max-width:900px;margin:2em auto;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 10px}}
.bad{{background:#f8d0d0}}.ok{{background:#d8f0d8}}img{{max-width:100%}}</style></head><body>
<h1>textops monitor report</h1>
<p>model <b>{e(str(m.name))}</b> version <b>{e(str(m.version))}</b> &middot;
{summary.predictions:,} predictions &middot; {summary.feedback:,} feedback labels &middot;
live accuracy <b>{acc}</b></p>{_others(summary)}
<h2>drift: {"<span class=bad>DRIFT</span>" if drift.drift else "<span class=ok>none</span>"}</h2>
<p>{e(drift.note or "")}</p>
<table><tr><th>test</th><th>score</th><th>p-value</th><th></th></tr>{rows}</table>
{imgs}
<p><small>generated {time.strftime("%Y-%m-%d %H:%M:%S")}</small></p></body></html>"""
