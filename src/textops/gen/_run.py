"""``textops gen train``: read a corpus, train a generator, track it, register it (champion
on lower validation perplexity, as classifiers are on macro-F1)."""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from textops._json import to_json
from textops._types import JSON
from textops.data import DatasetStore
from textops.gen._checkpoint import Checkpoint
from textops.gen._generator import Generator
from textops.gen._lora import check_lora
from textops.gen._train import GenEpoch, GenTrainConfig, fit_generator
from textops.gen._warm import SCRATCH, base_folder, native_generator, resolve_start
from textops.track import Comparison, MlflowTracker, Tracker, capture_env_lock

__all__ = ["GenTrainReport", "load_generator", "train_generator"]

ARTIFACT = "generator"


@dataclass(frozen=True)
class GenTrainReport:
    dataset: str
    dataset_version: str
    train_rows: int
    validation_rows: int
    parameters: int
    epochs: list[GenEpoch]
    val_perplexity: float
    stopped_by_budget: bool
    seconds: float
    run_id: str | None
    model_uri: str | None
    version: int | None = None
    alias: str | None = None
    #: epochs an interrupted run of the same command had finished (0: a fresh start)
    resumed_after: int = 0
    #: the epoch whose weights were registered (the lowest validation loss)
    best_epoch: int = 0
    #: why it got its alias (None: not registered)
    comparison: Comparison | None = None

    def as_json(self) -> JSON:
        out = asdict(self)
        out["comparison"] = {} if self.comparison is None else to_json(self.comparison)
        return out


def _checkpoint(
    config: GenTrainConfig, dataset: str, version: str, home: str | Path | None
) -> Checkpoint:
    """Where this command's epochs are saved: one folder per dataset, keyed by the data
    version and every setting that shapes the model (not the budget, the device, where it is
    tracked or registered)."""
    import hashlib

    from textops._home import home_dir

    shaping = config.model_dump(exclude={"timeout", "device", "tracking_uri", "model_name",
                                         "register_model", "resume"})  # fmt: skip
    key = hashlib.sha256(json.dumps([shaping, version], sort_keys=True).encode()).hexdigest()[:16]
    return Checkpoint(home_dir(home) / "gen-checkpoints" / f"{dataset}-{key}", key)


def load_generator(uri: str, tracking_uri: str, device: str = "cpu") -> Generator:
    """The generator at ``uri`` (models:/NAME@champion, models:/NAME/3, runs:/RUN/generator,
    or a folder)."""
    from textops.track import download_model

    return Generator.load(download_model(uri, tracking_uri), device=device)


def train_generator(
    config: GenTrainConfig,
    *,
    home: str | Path | None = None,
    tracker: Tracker | None = None,
    started: float | None = None,
) -> GenTrainReport:
    """``config.timeout`` counts from ``started`` (``time.monotonic()``; default: now), so a
    command can count its own start-up in it."""
    from textops.errors import ConfigError

    began = time.monotonic() if started is None else started
    ds = DatasetStore(home).get(config.dataset)
    train = (ds.texts("train"), ds.prompts("train"))
    validation = (ds.texts("validation"), ds.prompts("validation"))
    if len(train[0]) < 2:
        raise ConfigError(f"dataset {ds.name!r} has {len(train[0])} training texts: too few")
    config = config.model_copy(update={"model": resolve_start(config.model, ds.language)})
    if config.model != SCRATCH:
        base_folder(config.model)  # an unknown start is refused before a run is opened
    if config.lora_rank:
        check_lora(config.lora_rank, config.lora_save, config.model,
                   native_generator(config.model))  # fmt: skip
    tracker = tracker or MlflowTracker(config.tracking_uri, home=home)
    run = tracker.start_run(f"gen-train {ds.name}", tags={"textops.kind": "generator"})
    tracker.log_params(run, {**config.model_dump(exclude={"tracking_uri"}),
                             "dataset_version": ds.version})  # fmt: skip

    def on_epoch(e: GenEpoch) -> None:
        tracker.log_metrics(run, {"train_loss": e.train_loss, "val_loss": e.val_loss,
                                  "val_perplexity": e.val_perplexity,
                                  "val_bits_per_char": e.val_bits_per_char}, step=e.epoch)  # fmt: skip

    # the timeout covers the whole command: what came before training, and after it the save,
    # the registry, and re-scoring a champion of another data version on this validation
    end = began + config.timeout if config.timeout else None
    rescore = 1 if config.register_model and validation[0] else 0
    # a LoRA run's adapters are not a model folder a checkpoint could reload: it starts again
    resumable = config.resume and not config.lora_rank
    checkpoint = _checkpoint(config, ds.name, ds.version, home) if resumable else None
    fitted = fit_generator(
        config, train, validation, on_epoch=on_epoch, end=end, after_evals=rescore,
        checkpoint=checkpoint,
    )  # fmt: skip
    gen = fitted.generator
    gen.meta |= {"dataset": ds.name, "dataset_version": ds.version, "task": ds.task}
    ppl = fitted.best.val_perplexity
    with tempfile.TemporaryDirectory() as tmp:
        folder = gen.save(Path(tmp) / ARTIFACT)
        (folder / "env_lock.json").write_text(json.dumps(capture_env_lock().as_json(), indent=1))
        source = tracker.log_artifacts(run, folder, ARTIFACT)
    tracker.log_metrics(run, {"val_perplexity": ppl, "parameters": float(fitted.parameters),
                              "val_bits_per_char": fitted.best.val_bits_per_char})  # fmt: skip
    registration = None
    registry = tracker.registry() if config.register_model else None
    if registry is not None:
        name = config.model_name or ds.name
        # a champion scored on another dataset version is re-scored on this validation split
        # here, where a generator can be loaded (the registry below cannot load one)
        other = registry.rescoring_uri(name, ds.fingerprint, generator=True)
        rescored = None
        if other is not None and validation[0]:
            rescored = load_generator(other, tracker.uri).perplexity(*validation)
        registration = registry.register_generator(
            name=name, source=source, run_id=run, perplexity=ppl, fingerprint=ds.fingerprint,
            tags={"textops.dataset": f"{ds.name}@{ds.version}",
                  "textops.base_model": config.model, "textops.arch": config.arch},
            champion_perplexity=rescored,
        )  # fmt: skip
        tracker.log_dict(run, to_json(registration.comparison), "champion_comparison.json")
    tracker.end_run(run)
    if checkpoint is not None:
        checkpoint.remove()  # registered: nothing left to resume
    name = config.model_name or ds.name
    return GenTrainReport(
        dataset=ds.name, dataset_version=ds.version, train_rows=len(train[0]),
        validation_rows=len(validation[0]), parameters=fitted.parameters,
        epochs=fitted.epochs, val_perplexity=ppl, stopped_by_budget=fitted.stopped_by_budget,
        seconds=time.monotonic() - began, run_id=run,
        model_uri=f"models:/{name}/{registration.version}" if registration else f"runs:/{run}/{ARTIFACT}",
        version=registration.version if registration else None,
        alias=registration.alias if registration else None,
        comparison=registration.comparison if registration else None,
        resumed_after=fitted.resumed_after, best_epoch=fitted.best_epoch,
    )  # fmt: skip
