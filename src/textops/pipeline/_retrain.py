"""Retraining from what the service learned: the predictions that received feedback (their
texts are in the prediction log when the service ran with ``--log-text``) join the champion's
data as a new dataset version, and the pipeline runs on it: search, assess against the
champion on the same test split, register through the gate. A served ``@champion`` alias
follows a promotion by itself (hot swap).

The splits are a hash of each text, so a text the champion trained on stays in train and the
test split never receives one; a feedback label contradicting another row's label sends both
to quarantine (the ingest's conflict rule), for a person to settle.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from textops._types import JSON
from textops.data import DatasetStore, IngestConfig
from textops.errors import ConfigError
from textops.pipeline._config import PipelineConfig, SourceSpec, load_pipeline
from textops.pipeline._run import PipelineResult, pipeline_folder, run_pipeline

__all__ = ["RetrainResult", "feedback_rows", "retrain"]


@dataclass(frozen=True)
class RetrainResult:
    model: str
    champion_version: int
    base_dataset: str
    feedback_rows: int
    feedback_without_text: int
    dataset: str
    promoted: bool
    new_version: int | None
    why: str
    pipeline: PipelineResult

    def as_json(self) -> JSON:
        out = {k: v for k, v in self.__dict__.items() if k != "pipeline"}
        return {**out, "pipeline": self.pipeline.as_json()}


def feedback_rows(
    monitor_url: str, model_name: str, since_seconds: float | None = None
) -> tuple[list[JSON], int]:
    """Rows (id, text, label) of ``model_name``'s predictions that got feedback, and how many
    more had feedback but no logged text."""
    from textops.monitor import MonitorStore

    store = MonitorStore(monitor_url)
    try:
        since = None if since_seconds is None else time.time() - since_seconds
        rows = store.labelled_texts(since, model_name=model_name)
    finally:
        store.dispose()
    kept = [{"id": pid, "text": text, "label": label} for pid, text, label, _ in rows if text]
    return kept, len(rows) - len(kept)


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


def _config(
    base: str,
    feedback: Path,
    name: str,
    pipeline: str | Path | None,
    overrides: Sequence[str],
    home: Path | None,
) -> PipelineConfig:
    ds_name, _, version = base.partition("@")
    fb = SourceSpec(path=str(feedback), text_col="text", label_col="label", id_col="id")
    if pipeline is not None:
        cfg = load_pipeline(pipeline, overrides)
        return cfg.model_copy(update={"sources": (*cfg.sources, fb)})
    ds = DatasetStore(home).get(ds_name, version or None)
    # the champion's own ingest settings: the same split seed and fractions keep its splits
    ingest = IngestConfig.model_validate(ds.manifest["config"])
    from textops._config import load_config

    return load_config(
        PipelineConfig,
        None,
        overrides,
        name=ds_name,
        sources=[{"dataset": base}, fb.model_dump(exclude_defaults=True)],
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
    from textops.track import default_tracking_uri

    uri = tracking_uri or default_tracking_uri(home)
    name, version, base = _champion(model_uri, uri)
    rows, no_text = feedback_rows(monitor_url or default_monitor_url(home), name, since_seconds)
    if not rows:
        hint = f" ({no_text} had feedback but no text: serve with --log-text)" if no_text else ""
        raise ConfigError(f"no feedback with text for {name} in the window{hint}; nothing to learn")
    folder = pipeline_folder(base.partition("@")[0], home)
    folder.mkdir(parents=True, exist_ok=True)
    feedback = folder / "feedback.jsonl"
    with feedback.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    cfg = _config(base, feedback, name, pipeline, overrides, Path(home) if home else None)
    cfg = cfg.model_copy(update={"tracking_uri": cfg.tracking_uri or uri})
    result = run_pipeline(cfg, home=home, show_progress=show_progress)
    reg = result.stage("register").outputs
    ingest = result.stage("ingest").outputs
    return RetrainResult(
        model=name,
        champion_version=version,
        base_dataset=base,
        feedback_rows=len(rows),
        feedback_without_text=no_text,
        dataset=f"{ingest['dataset']}@{ingest['version']}",
        promoted=bool(reg.get("promoted")) and not reg.get("unchanged"),
        new_version=reg.get("version"),
        why=str(reg.get("why", "")),
        pipeline=result,
    )
