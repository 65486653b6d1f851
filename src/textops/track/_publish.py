"""Publish a trained classifier in one call: its record on the run, the model saved into the
run, and (when asked) a registered version with the alias the gate decides.

A caller hands over data (:class:`Publication`), never a callback: the registry itself predicts
or re-scores the champion where the gate needs it. A version already registered for the same
identity (a resumed search whose winner did not change) is found and reused: nothing is saved
twice."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from textops._json import to_json
from textops.model import TextClassifier, TrainingReference
from textops.track._champion import HeldOut, Registration
from textops.track._envlock import EnvLock
from textops.track._gate import Gate
from textops.track._pyfunc import save_pyfunc
from textops.track._records import ModelRecord, log_model_record
from textops.track._tracker import Tracker

__all__ = ["Publication", "Published", "RegistrationRequest", "publish"]


@dataclass(frozen=True)
class RegistrationRequest:
    """Where and how a model is registered: ``identity`` tags name the version (a search's
    study, trial and data: the same identity is the same version), ``tags`` add to them; the
    gate decides champion or challenger on ``held_out`` by ``macro_f1``."""

    name: str
    identity: Mapping[str, str]
    tags: Mapping[str, str]
    macro_f1: float
    fingerprint: str
    gate: Gate
    held_out: HeldOut | None = None


@dataclass(frozen=True)
class Publication:
    run: str
    record: ModelRecord
    classifier: TextClassifier
    reference: TrainingReference
    #: a few texts for the MLflow signature and input example
    example_texts: Sequence[str]
    metadata: Mapping[str, str]
    #: None: the model is saved in the run only
    registration: RegistrationRequest | None = None


@dataclass(frozen=True)
class Published:
    #: the run the model's files are in (a reused version's own run)
    model_run: str
    registration: Registration | None


def publish(tracker: Tracker, publication: Publication) -> Published:
    """Log ``publication``'s record on its run, save its model there and register it."""
    run = publication.run
    env_lock = log_model_record(tracker, run, publication.record)
    request = publication.registration
    registry = tracker.registry() if request is not None else None
    if request is None or registry is None:
        _save(tracker, publication, env_lock)
        return Published(run, None)
    registration = registry.existing(request.name, request.identity)
    if registration is None:
        registration = registry.register_classifier(
            name=request.name,
            source=_save(tracker, publication, env_lock),
            run_id=run,
            tags={**request.tags, **request.identity},
            macro_f1=request.macro_f1,
            fingerprint=request.fingerprint,
            gate=request.gate,
            held_out=request.held_out,
        )
    tracker.log_dict(run, to_json(registration.comparison), "champion_comparison.json")
    if not registration.unchanged:
        tracker.set_tags(run, {"textops.model_version": str(registration.version),
                               "textops.alias": str(registration.alias)})  # fmt: skip
    return Published(registration.run_id or run, registration)


def _save(tracker: Tracker, publication: Publication, env_lock: EnvLock) -> str:
    """The model as an MLflow model in the run; returns its artifact URI."""
    with tempfile.TemporaryDirectory() as tmp:
        path = save_pyfunc(
            publication.classifier,
            Path(tmp) / "model",
            env_lock=env_lock,
            example_texts=publication.example_texts,
            metadata=dict(publication.metadata),
            drift_reference=publication.reference,
        )
        return tracker.log_artifacts(publication.run, path, "model")
