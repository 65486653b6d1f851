"""The review loop outside a service: a registered model's queue built from the monitor
database it was served with, and each label a person gives stored there as reviewed feedback.

A label is stored the moment it is given (one durable write each), so a session that stops
halfway keeps what was labelled.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textops.review._config import ReviewConfig
from textops.review._queue import ReviewQueue, build_queue

if TYPE_CHECKING:
    from textops.model import TextClassifier
    from textops.monitor import FeedbackRecord, MonitorStore

__all__ = ["ReviewSession", "open_review"]


@dataclass(frozen=True)
class ReviewSession:
    """A model's queue and where its labels go."""

    queue: ReviewQueue
    store: MonitorStore

    def label(self, prediction_id: str, label: str, reviewer: str) -> None:
        """Store ``label`` for a queued prediction as reviewed feedback by ``reviewer``."""
        from textops.errors import InvalidLabelError

        if label not in self.queue.labels:
            raise InvalidLabelError(
                f"{label!r} is not a label of {self.queue.model}; its labels are "
                f"{self.queue.labels}",
                field="label",
            )
        if prediction_id not in {i.prediction_id for i in self.queue.items}:
            raise ValueError(f"{prediction_id} is not in this review queue")
        row: FeedbackRecord = {
            "prediction_id": prediction_id, "label": label, "ts": time.time(), "key_id": None,
            "client": "textops review", "reviewed": True, "reviewer": reviewer,
        }  # fmt: skip
        self.store.write_durably([row], [])


def _challenger(name: str, served: str | None, tracking_uri: str) -> TextClassifier | None:
    """The version the ``challenger`` alias names, when it is not the one reviewed."""
    from textops.track import ModelRegistry, load_classifier

    version = ModelRegistry(tracking_uri).alias_version(name, "challenger")
    if version is None or str(version) == str(served):
        return None
    return load_classifier(f"models:/{name}/{version}", tracking_uri)[0]


def open_review(config: ReviewConfig, *, tracking_uri: str, monitor_url: str) -> ReviewSession:
    """The queue of ``config.uri`` (a registered URI whose name the service logged its
    predictions under) from the monitor database at ``monitor_url``."""
    from textops.model import TrainingReference
    from textops.monitor import MonitorStore
    from textops.track import ModelURI, download_model, load_classifier, resolve_version

    parsed = ModelURI.parse(config.uri)
    name = parsed.name or config.uri
    root = download_model(config.uri, tracking_uri)  # once: the classifier and its reference
    clf, _ = load_classifier(str(root), tracking_uri)
    reference = TrainingReference.load(root / "artifacts" / "classifier")
    version = resolve_version(config.uri, tracking_uri)
    challenger = (
        _challenger(name, version, tracking_uri)
        if parsed.name and config.strategy in ("disagreement", "mixed")
        else None
    )
    store = MonitorStore(monitor_url)
    records = store.unlabelled(model_name=name, limit=config.pool)
    queue = build_queue(records, clf, config, name=name, version=version,
                        challenger=challenger, reference=reference)  # fmt: skip
    return ReviewSession(queue, store)
