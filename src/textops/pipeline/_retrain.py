"""Retraining from what the service learned: the predictions that received feedback (their
texts are in the prediction log when the service ran with ``--log-text``) join the champion's
data as a new dataset version, and the pipeline runs on it: search, assess against the
champion on the same test split, register through the gate. A served ``@champion`` alias
follows a promotion by itself (hot swap).

The trust model: anyone with the API key can send feedback, so feedback can teach a model but
never decide whether it is promoted. Unreviewed feedback goes to the train split only; the
split that scores the candidate and the champion is the champion's own held-out rows plus
reviewed feedback (labels a person confirmed, sent with the admin key), split by the hash of
the text as every row is. An unreviewed label that contradicts the dataset is quarantined
alone (the dataset's row stays), so it cannot remove held-out rows either. Every feedback row
keeps who sent it; the result says how many rows came from how many sources.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textops._json import to_json
from textops._types import JSON
from textops.data import DatasetStore, IngestConfig
from textops.errors import ConfigError
from textops.monitor import FeedbackRow
from textops.pipeline._config import PipelineConfig, SourceSpec, load_pipeline
from textops.pipeline._outputs import IngestOutput, RegisterOutput
from textops.pipeline._run import PipelineResult, pipeline_lock, run_pipeline

if TYPE_CHECKING:
    from textops.track import GateDecision

__all__ = ["RetrainResult", "feedback_rows", "retrain"]

log = logging.getLogger("textops.pipeline")


@dataclass(frozen=True)
class RetrainResult:
    model: str
    champion_version: int
    base_dataset: str
    feedback_rows: int
    feedback_without_text: int
    #: of ``feedback_rows``: reviewed (may be held out to score) and unreviewed (train only)
    reviewed_rows: int
    unreviewed_rows: int
    #: how many distinct senders (key and client, or reviewer) the rows came from
    feedback_sources: int
    dataset: str
    promoted: bool
    new_version: int | None
    why: str
    pipeline: PipelineResult
    #: the gate's decision: both models' macro-F1 on the deciding split, the test, its p-value
    gate: GateDecision | None = None
    #: rows of the deciding split: the champion's held-out rows plus the reviewed feedback
    scored_rows: int = 0

    def as_json(self) -> JSON:
        out = {k: v for k, v in self.__dict__.items() if k not in ("pipeline", "gate")}
        gate = None if self.gate is None else to_json(self.gate)
        return {**out, "gate": gate, "pipeline": self.pipeline.as_json()}


def feedback_rows(
    monitor_url: str, model_name: str, since_seconds: float | None = None
) -> tuple[list[FeedbackRow], int]:
    """``model_name``'s predictions that got feedback with their texts, and how many more had
    feedback but no logged text."""
    from textops.monitor import MonitorStore

    store = MonitorStore(monitor_url)
    try:
        since = None if since_seconds is None else time.time() - since_seconds
        rows = store.labelled_texts(since, model_name=model_name)
    finally:
        store.dispose()
    kept = [r for r in rows if r.text]
    return kept, len(rows) - len(kept)


def _write_rows(path: Path, rows: Sequence[FeedbackRow]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps({"id": r.prediction_id, "text": r.text, "label": r.label},
                                ensure_ascii=False) + "\n")  # fmt: skip


def _champion(model_uri: str, tracking_uri: str) -> tuple[str, int, str]:
    """(name, version, dataset NAME@VERSION) of the registered version ``model_uri`` names."""
    from textops.track import ModelURI, client_for

    ref = ModelURI.parse(model_uri)
    if not ref.registered:
        raise ConfigError(f"{model_uri}: retrain needs a registered model (models:/NAME@champion)")
    mv = ref.model_version(client_for(tracking_uri))
    dataset = mv.tags.get("textops.dataset")
    if not dataset:
        raise ConfigError(
            f"{model_uri} (version {mv.version}) has no textops.dataset tag: "
            "it was not registered by a textops search"
        )
    return str(ref.name), int(mv.version), str(dataset)


def _feedback_sources(folder: Path, reviewed: bool, unreviewed: bool) -> list[SourceSpec]:
    """The feedback files as sources (those with rows): reviewed rows split by hash like the
    dataset's (they may be held out to score), unreviewed rows to train only, yielding to the
    dataset on a conflict."""
    common = {"text_col": "text", "label_col": "label", "id_col": "id", "format": "jsonl"}
    out = []
    if reviewed:
        out.append(SourceSpec(path=str(folder / "feedback-reviewed.jsonl"), **common))
    if unreviewed:
        out.append(
            SourceSpec(path=str(folder / "feedback.jsonl"), split="train", yields=True, **common)
        )
    return out


def _config(
    base: str,
    fb: Sequence[SourceSpec],
    name: str,
    pipeline: str | Path | None,
    overrides: Sequence[str],
    home: Path | None,
) -> PipelineConfig:
    ds_name, _, version = base.partition("@")
    ds = DatasetStore(home).get(ds_name, version or None)
    if pipeline is not None:
        cfg = load_pipeline(pipeline, overrides)
        # its files decode as the champion's training data did (the same bytes, one string)
        legacy = ds.decoding.encoding
        own = [
            s.model_copy(update={"prefer_encoding": legacy})
            if legacy
            and s.encoding == "auto"
            and s.prefer_encoding is None
            and s.kind in ("file", "url")
            else s
            for s in cfg.sources
        ]
        return cfg.model_copy(update={"sources": (*own, *fb)})
    # the champion's own ingest settings: the same split seed and fractions keep its splits
    ingest = IngestConfig.model_validate(ds.manifest["config"])
    from textops._config import load_config

    return load_config(
        PipelineConfig,
        None,
        overrides,
        name=ds_name,
        sources=[{"dataset": base}, *(s.model_dump(exclude_defaults=True) for s in fb)],
        ingest=ingest.model_dump(),
        register={"model_name": name},
    )


def retrain(
    model_uri: str,
    *,
    since_seconds: float | None = None,
    pipeline: str | Path | None = None,
    overrides: Sequence[str] = (),
    monitor_url: str | None = None,
    tracking_uri: str | None = None,
    home: str | Path | None = None,
    show_progress: bool | None = None,
) -> RetrainResult:
    """Retrain ``model_uri``'s model on its data plus the feedback since ``since_seconds`` ago;
    the new version replaces the champion only if the gate passes."""
    from textops.monitor import default_monitor_url
    from textops.track import GateDecision, default_tracking_uri

    uri = tracking_uri or default_tracking_uri(home)
    name, version, base = _champion(model_uri, uri)
    rows, no_text = feedback_rows(monitor_url or default_monitor_url(home), name, since_seconds)
    if not rows:
        hint = f" ({no_text} had feedback but no text: serve with --log-text)" if no_text else ""
        raise ConfigError(f"no feedback with text for {name} in the window{hint}; nothing to learn")
    home_path = Path(home) if home else None
    # which pipeline this is (its name decides its folder and its lock) before writing a file
    # it reads: a refused second retrain must not touch the running one's input
    probe = _config(base, (), name, pipeline, overrides, home_path)
    reviewed = [r for r in rows if r.reviewed]
    unreviewed = [r for r in rows if not r.reviewed]
    with pipeline_lock(probe.name, home) as folder:
        _write_rows(folder / "feedback-reviewed.jsonl", reviewed)
        _write_rows(folder / "feedback.jsonl", unreviewed)
        sources = _feedback_sources(folder, bool(reviewed), bool(unreviewed))
        cfg = _config(base, sources, name, pipeline, overrides, home_path)
        cfg = cfg.model_copy(update={"tracking_uri": cfg.tracking_uri or uri})
        log.info(
            "retrain %s: %d feedback rows (%d reviewed, %d unreviewed, train only) from %d "
            "source(s)", name, len(rows), len(reviewed), len(unreviewed),
            len({r.source for r in rows}),
        )  # fmt: skip
        result = run_pipeline(cfg, home=home, show_progress=show_progress, locked=True)
    reg = RegisterOutput.model_validate(result.stage("register").outputs)
    ingest = IngestOutput.model_validate(result.stage("ingest").outputs)
    return RetrainResult(
        model=name,
        champion_version=version,
        base_dataset=base,
        feedback_rows=len(rows),
        feedback_without_text=no_text,
        reviewed_rows=len(reviewed),
        unreviewed_rows=len(unreviewed),
        feedback_sources=len({r.source for r in rows}),
        dataset=f"{ingest.dataset}@{ingest.version}",
        promoted=reg.promoted and not reg.unchanged,
        new_version=reg.version,
        why=reg.why,
        pipeline=result,
        gate=GateDecision(**reg.gate) if reg.gate else None,
        scored_rows=reg.scored_rows,
    )
