"""The rows of the prediction log as they go to the database and to spill files: typed
dictionaries (the database driver and ``json`` take them as they are, and the request path
builds one per prediction, so no object is made twice)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NotRequired, TypedDict

__all__ = [
    "STUB_CHARS",
    "FeedbackRecord",
    "FeedbackRow",
    "LogRecord",
    "PredictionRecord",
    "PredictionRef",
]

#: ``text_chars`` of a stub prediction: one rebuilt from its signed id when feedback came for
#: a prediction whose logged row was lost (the process died before writing it)
STUB_CHARS = -1


class PredictionRecord(TypedDict):
    prediction_id: str
    ts: float
    model_name: str | None
    model_version: str | None
    text_sha256: str  # "" for a stub (a prediction rebuilt from its signed id)
    text: str | None  # only with serve --log-text
    text_chars: int
    label: str
    probabilities: dict[str, float]
    latency_ms: float | None


class FeedbackRecord(TypedDict):
    prediction_id: str
    label: str
    ts: float
    # provenance (absent in rows written before it was kept)
    key_id: NotRequired[str | None]
    client: NotRequired[str | None]
    reviewed: NotRequired[bool]
    reviewer: NotRequired[str | None]


#: a record of the log: ("p", a prediction) or ("f", feedback)
LogRecord = tuple[Literal["p", "f"], PredictionRecord | FeedbackRecord]


@dataclass(frozen=True)
class PredictionRef:
    """A logged prediction's model, version and predicted label."""

    model_name: str | None
    model_version: str | None
    label: str


@dataclass(frozen=True)
class FeedbackRow:
    """A prediction with its feedback: what retraining learns from, with who said so."""

    prediction_id: str
    text: str | None
    label: str
    ts: float
    key_id: str | None
    client: str | None
    reviewed: bool
    reviewer: str | None

    @property
    def source(self) -> str:
        """Who sent it: the reviewer, else the key and client it came with."""
        if self.reviewer:
            return f"reviewer:{self.reviewer}"
        return f"{self.key_id or 'no-key'}@{self.client or 'unknown'}"
