"""The stages of a pipeline. Each one says what its inputs are (hashed to decide whether it
can be skipped) and, when it must run, does its work and returns its outputs (JSON, kept in
the pipeline's state for the stages after it)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass

from textops._types import JSON
from textops.errors import ConfigError, DataCheckError
from textops.pipeline._config import PipelineConfig, SourceSpec
from textops.pipeline._context import StageContext
from textops.pipeline._sources import fetch_source

__all__ = ["STAGES", "Stage"]

log = logging.getLogger("textops.pipeline")


@dataclass(frozen=True)
class Stage:
    name: str
    #: what decides the stage's result; computed every run (cheap, or the fetch of the sources)
    inputs: Callable[[StageContext], JSON]
    run: Callable[[StageContext], JSON]
    #: False: the stage is not configured in this pipeline (shown as ``off``)
    enabled: Callable[[PipelineConfig], bool] = lambda _c: True
    help: str = ""


# -- ingest -----------------------------------------------------------------------------------
#: source settings that change how a source is fetched, not what arrives
_NOT_CONTENT = {"storage_options", "max_bytes", "timeout", "max_seconds"}


def _spec_key(spec: SourceSpec) -> JSON:
    """What of a source decides the data it gives (options at their defaults left out, so a
    pipeline's state stays valid when a version of textops adds one)."""
    out = spec.model_dump(mode="json", exclude=_NOT_CONTENT)
    for key in ("split", "yields", "prefer_encoding"):
        if out.get(key) == SourceSpec.model_fields[key].default:
            out.pop(key)
    return out


def _ingest_inputs(ctx: StageContext) -> JSON:
    c = ctx.config
    ctx.fetched = [
        fetch_source(s, i, c.base_dir, ctx.folder / "sources", ctx.home)
        for i, s in enumerate(c.sources)
    ]
    return {
        "sources": [
            {"sha256": f.sha256, "spec": _spec_key(s)}
            for f, s in zip(ctx.fetched, c.sources, strict=True)
        ],
        "ingest": c.ingest.model_dump(mode="json"),
    }


def _ingest(ctx: StageContext) -> JSON:
    from textops.data import ingest

    c = ctx.config
    sources = [
        f.file_source(s.encoding, split=s.split, yields=s.yields, prefer_encoding=s.prefer_encoding)
        for f, s in zip(ctx.fetched, c.sources, strict=True)
    ]
    ds = ingest(sources, c.name, c.ingest, home=ctx.home, show_progress=ctx.show_progress)
    m = ds.manifest
    ctx.tracker.log_metrics(ctx.run, {"rows": m["rows_accepted"], "rejected": m["rows_rejected"]})
    return {
        "dataset": ds.name,
        "version": ds.version,
        "fingerprint": ds.fingerprint,
        "rows": int(m["rows_accepted"]),
        "rejected": int(m["rows_rejected"]),
        "rejected_by_reason": m["rejected_by_reason"],
        "sources": [f.origin for f in ctx.fetched],
    }


# -- validate ---------------------------------------------------------------------------------
def _validate_inputs(ctx: StageContext) -> JSON:
    return {"data": ctx.ingested().fingerprint, "min": ctx.config.min_rows_per_label}


def _validate(ctx: StageContext) -> JSON:
    from collections import Counter

    from textops.data import DatasetStore

    up = ctx.ingested()
    ds = DatasetStore(ctx.home).get(up.dataset, up.version)
    counts = {split: dict(Counter(ds.labels(split))) for split in ("train", "validation", "test")}
    train = counts["train"]
    problems = []
    if len(train) < 2:
        problems.append(f"the train split has {len(train)} label(s); a classifier needs 2 or more")
    least = ctx.config.min_rows_per_label
    every = sorted({lab for split in counts.values() for lab in split})
    few = {lab: train.get(lab, 0) for lab in every if train.get(lab, 0) < least}
    if few:
        problems.append(
            f"labels with fewer than {least} train rows: {few}; add rows of them or drop "
            "them with ingest.labels"
        )
    if problems:
        raise DataCheckError(f"{ds.name}@{ds.version}: " + "; ".join(problems))
    if not counts["test"]:
        log.warning("%s: no test split; the gate cannot compare against the champion", ds.name)
    return {"labels": counts}


# -- embed ------------------------------------------------------------------------------------
def _embed_inputs(ctx: StageContext) -> JSON:
    return {
        "data": ctx.ingested().fingerprint,
        "embedders": list(ctx.config.embed.embedders),
    }


def _embed(ctx: StageContext) -> JSON:
    from textops.data import DatasetStore
    from textops.embed import embed_dataset, make_embedder

    up = ctx.ingested()
    ds = DatasetStore(ctx.home).get(up.dataset, up.version)
    out: JSON = {}
    for key in ctx.config.embed.embedders:
        result = embed_dataset(ds, make_embedder(key), home=ctx.home)
        out[key] = {
            "hits": result.hits,
            "misses": result.misses,
            "seconds": round(result.seconds, 2),
        }
    return {"embedders": out}


# -- search -----------------------------------------------------------------------------------
def _search_inputs(ctx: StageContext) -> JSON:
    up = ctx.ingested()
    cfg = ctx.config.search_config(up.dataset, up.version, ctx.tracking_uri)
    return {
        "data": up.fingerprint,
        "search": cfg.model_dump(mode="json", exclude={"tracking_uri"}),
    }


def _synthesize(ctx: StageContext, dataset: str, version: str) -> None:
    """The llm recipe's rows for this dataset version (once: they are stored with it)."""
    from textops.data import DatasetStore
    from textops.gen import EndpointGenerator, synthesize_missing

    spec = ctx.config.llm
    assert spec is not None
    ds = DatasetStore(ctx.home).get(dataset, version)
    endpoint = EndpointGenerator(spec.endpoint, spec.model, api_key_env=spec.api_key_env)
    synthesize_missing(ds, endpoint, spec.per_class, home=ctx.home)


def _search(ctx: StageContext) -> JSON:
    from textops.search import CVEstimate, run_search

    up = ctx.ingested()
    cfg = ctx.config.search_config(up.dataset, up.version, ctx.tracking_uri)
    if "llm" in cfg.recipes:
        _synthesize(ctx, up.dataset, up.version)
    report = run_search(
        cfg,
        home=ctx.home,
        tracker=ctx.tracker,
        show_progress=ctx.show_progress,
        parent_run_id=ctx.run_id,
    )
    # few labels: every row trained the model, and its score is the repeated-CV estimate
    estimate = "cv" if isinstance(report.test, CVEstimate) else "test"
    score = float(report.test.macro_f1)
    ctx.tracker.log_metrics(ctx.run, {f"{'cv_estimate' if estimate == 'cv' else 'test'}"
                                         "_macro_f1": score})  # fmt: skip
    return {
        "study": report.study,
        "trial": report.best.trial,
        "embedder": report.best.embedder,
        "head": report.best.head,
        "cv_macro_f1": report.best.cv_macro_f1,
        "test_macro_f1": report.test.macro_f1,
        "estimate": estimate,
        "run_id": report.run_id,
        "model_uri": report.run_model_uri,
        "trials": report.trials,
        "recipe": report.best.recipe,
        "recipes": None if report.recipes is None else [asdict(r) for r in report.recipes],
    }


# -- assess -----------------------------------------------------------------------------------
def _assess_inputs(ctx: StageContext) -> JSON:
    llm = ctx.config.llm
    return {
        "model": ctx.searched().model_uri,
        "data": ctx.ingested().fingerprint,
        "llm": llm.model_dump(mode="json") if llm and llm.classify else None,
    }


def _assess(ctx: StageContext) -> JSON:
    from textops.pipeline._assess import assess_candidate

    return assess_candidate(ctx)


# -- register ---------------------------------------------------------------------------------
def _register_inputs(ctx: StageContext) -> JSON:
    c = ctx.config
    return {
        "model": ctx.searched().model_uri,
        "name": c.model_name,
        "gate": c.gate.model_dump(mode="json"),
    }


def _register(ctx: StageContext) -> JSON:
    from textops.pipeline._assess import register_candidate

    return register_candidate(ctx).model_dump(mode="json")


# -- export -----------------------------------------------------------------------------------
def _export_inputs(ctx: StageContext) -> JSON:
    spec = ctx.config.export
    return {"version": ctx.registered().uri, "export": spec.model_dump() if spec else None}


def _export(ctx: StageContext) -> JSON:
    from textops.serve import export_onnx

    reg = ctx.registered()
    if not reg.promoted:
        return {"exported": False, "why": "the gate kept the champion; nothing new to export"}
    spec = ctx.config.export
    assert spec is not None
    report = export_onnx(reg.uri, tracking_uri=ctx.tracking_uri, quantize=spec.quantize)
    return {"exported": True, "stored": report.as_json().get("stored")}


# -- notify -----------------------------------------------------------------------------------
def _notify_inputs(ctx: StageContext) -> JSON:
    return {"register": ctx.need("register"), "assess": ctx.upstream.get("assess")}


def _notify(ctx: StageContext) -> JSON:
    import urllib.request

    spec = ctx.config.notify
    assert spec is not None
    reg, search = ctx.registered(), ctx.searched()
    verdict = "promoted to champion" if reg.promoted else "kept as challenger"
    text = (
        f"textops pipeline {ctx.config.name}: {reg.uri} {verdict} "
        f"({search.score_name} {search.test_macro_f1 or 0.0:.4f}; {reg.why})"
    )
    body = json.dumps(
        {"text": text, "pipeline": ctx.config.name, "register": ctx.need("register"),
         "search": ctx.need("search")}
    ).encode()  # fmt: skip
    req = urllib.request.Request(spec.webhook, body, {"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=spec.timeout) as resp:
            status = resp.status
    except OSError as exc:
        raise ConfigError(f"notify.webhook {spec.webhook} failed: {exc}") from exc
    return {"status": status, "text": text}


STAGES: tuple[Stage, ...] = (
    Stage("ingest", _ingest_inputs, _ingest, help="read every source into a new dataset version"),
    Stage("validate", _validate_inputs, _validate, help="labels and rows per label"),
    Stage("embed", _embed_inputs, _embed, help="fill the embedding cache"),
    Stage("search", _search_inputs, _search, help="embedder x head search"),
    Stage("assess", _assess_inputs, _assess, help="candidate vs champion on the test split"),
    Stage("register", _register_inputs, _register, help="register; champion through the gate"),
    Stage("export", _export_inputs, _export, lambda c: c.export is not None, "ONNX export"),
    Stage("notify", _notify_inputs, _notify, lambda c: c.notify is not None, "webhook"),
)
