"""The review queue over HTTP: the predictions a person should label first."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["ReviewItemResponse", "ReviewResponse"]


class ReviewItemResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    prediction_id: str
    text: str
    predicted: str
    probabilities: dict[str, float]
    score: float
    reasons: list[str]
    ts: float


class ReviewResponse(BaseModel):
    """A model's queue, best first; label an item with POST /v1/models/NAME/feedback."""

    model_config = ConfigDict(from_attributes=True)

    model: str
    version: str | None
    strategy: str
    labels: list[str]
    items: list[ReviewItemResponse]
    ranked: int
    notes: list[str]
    #: the reviewer a review key names (None with the admin key: send ``reviewer``)
    reviewer: str | None = None
