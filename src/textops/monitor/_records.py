"""The rows of the prediction log as they go to the database and to spill files: typed
dictionaries (the database driver and ``json`` take them as they are, and the request path
builds one per prediction, so no object is made twice)."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

__all__ = ["FeedbackRecord", "LogRecord", "PredictionRecord"]


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
