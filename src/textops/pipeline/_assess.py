"""The assess and register stages: the search's candidate against the champion on the same
test split (with intervals and McNemar's test, as ``textops assess``), then registration
through the pipeline's promotion gate (as a search's own registration)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textops._json import to_json
from textops._types import JSON
from textops.pipeline._outputs import RegisterOutput

if TYPE_CHECKING:
    from textops.data import Dataset
    from textops.pipeline._context import StageContext

__all__ = ["assess_candidate", "champion_uri", "register_candidate"]


def _dataset(ctx: StageContext) -> Dataset:
    from textops.data import DatasetStore

    up = ctx.ingested()
    return DatasetStore(ctx.home).get(up.dataset, up.version)


def champion_uri(ctx: StageContext) -> str | None:
    """``models:/NAME/V`` of the current champion, or None when the name has none."""
    registry = ctx.tracker.registry()
    version = registry.alias_version(ctx.config.model_name, "champion")
    return None if version is None else f"models:/{ctx.config.model_name}/{version}"


def _scores(m: Any) -> JSON:
    return {
        "accuracy": m.accuracy,
        "macro_f1": m.macro_f1,
        "macro_f1_ci": list(m.macro_f1_ci),
        "ece": m.ece,
        "latency_p50_ms": m.latency_p50_ms,
    }


def _held_out(ctx: StageContext, ds: Dataset) -> tuple[list[str], list[str]]:
    """The test split, unless the search pooled every row (few labels): then the candidate
    trained on those rows, and scoring it (or gating it against the champion) there would
    flatter it."""
    if ctx.searched().estimate == "cv":
        return [], []
    return ds.texts("test"), ds.labels("test")


def assess_candidate(ctx: StageContext) -> JSON:
    from textops.explain import assess, assessment_html, llm_candidate, score_model

    ds = _dataset(ctx)
    texts, labels = _held_out(ctx, ds)
    if not texts:
        return {
            "assessed": False,
            "why": "no held-out rows (few labels: every row trained the model; the search's "
            "CV estimate stands)",
        }
    candidate = ctx.searched().model_uri
    champion = champion_uri(ctx)
    uris = [candidate] + ([champion] if champion else [])
    candidates = [score_model(u, texts, ctx.tracking_uri) for u in uris]
    names = ["candidate", "champion"][: len(uris)]
    llm = ctx.config.llm
    if llm is not None and llm.classify:  # an LLM prompted over the labels, on the same rows
        candidates.append(llm_candidate(ds, texts, llm.endpoint, llm.model, llm.shots))
        names.append("llm")
    report = assess(ds.name, "test", labels, candidates)
    metrics = {
        f"{names[i]}_{k}": float(v)
        for i, m in enumerate(report.models)
        for k, v in (("accuracy", m.accuracy), ("macro_f1", m.macro_f1))
    }
    out: JSON = {"assessed": True, "rows": report.n, "candidate": _scores(report.models[0])}
    if champion:
        out["champion"] = {"uri": champion, **_scores(report.models[1])}
        out["mcnemar_p"] = report.pairs[0].p_value
        metrics["mcnemar_p"] = report.pairs[0].p_value
    if "llm" in names:
        out["llm"] = {"model": llm.model if llm else None, **_scores(report.models[-1])}
    ctx.tracker.log_metrics(ctx.run, metrics)
    page = ctx.folder / "assess.html"
    page.write_text(assessment_html(report), "utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "assessment.html").write_text(page.read_text("utf-8"), "utf-8")
        ctx.tracker.log_artifacts(ctx.run, Path(tmp), "assessment")
    out["html"] = str(page)
    return out


def register_candidate(ctx: StageContext) -> RegisterOutput:
    from textops.track import Gate, HeldOut, load_classifier

    c, search = ctx.config, ctx.searched()
    ds = _dataset(ctx)
    texts, labels = _held_out(ctx, ds)
    registry = ctx.tracker.registry()
    clf, _ = load_classifier(search.model_uri, ctx.tracking_uri)
    identity = {
        "textops.study": search.study,
        "textops.trial": str(search.trial),
        "textops.dataset_fingerprint": ds.fingerprint,
    }
    reg = registry.existing(c.model_name, identity) or registry.register_classifier(
        name=c.model_name,
        source=ctx.tracker.artifact_uri(search.run_id, "model"),
        run_id=search.run_id,
        tags={
            "textops.embedder": search.embedder,
            "textops.head": search.head,
            "textops.dataset": f"{ds.name}@{ds.version}",
            "textops.cv_macro_f1": f"{search.cv_macro_f1:.6f}",
            "textops.pipeline": c.name,
            **identity,
        },
        macro_f1=float(search.test_macro_f1 or 0.0),
        fingerprint=ds.fingerprint,
        gate=Gate(mode=c.gate.mode, test=c.gate.test, alpha=c.gate.alpha, seed=c.search.seed),
        held_out=HeldOut(texts, labels, clf.predict(texts)) if texts else None,
    )
    promoted = "champion" in str(reg.alias or "").split(",")
    ctx.tracker.set_tags(
        ctx.run, {"textops.model_version": str(reg.version), "textops.alias": str(reg.alias)}
    )
    return RegisterOutput(
        version=reg.version,
        alias=reg.alias,
        uri=f"models:/{c.model_name}/{reg.version}",
        promoted=promoted,
        unchanged=reg.unchanged,
        why=reg.comparison.reason,
        gate=None if reg.comparison.gate is None else to_json(reg.comparison.gate),
        scored_rows=len(texts),
    )
