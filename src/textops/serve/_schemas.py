"""Request and response models: the HTTP contract, and the source of the OpenAPI spec."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr

__all__ = [
    "ErrorResponse",
    "FieldError",
    "HealthResponse",
    "ModelInfo",
    "ModelRef",
    "PredictRequest",
    "PredictResponse",
    "Prediction",
    "ReloadResponse",
]


class PredictRequest(BaseModel):
    """Texts to classify, answered in the same order."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"texts": ["WINNER!! Claim your prize now", "see you"]}]},
    )

    texts: list[StrictStr] = Field(min_length=1, description="one or more texts")


class ModelRef(BaseModel):
    name: str | None = Field(description="registered model name (None for a run URI)")
    version: str | None = Field(description="registered version that answered")


class Prediction(BaseModel):
    prediction_id: str = Field(description="unique id; send it back with feedback")
    label: str
    probabilities: dict[str, float] = Field(description="probability per class label")


class PredictResponse(BaseModel):
    model: ModelRef
    predictions: list[Prediction]


class ModelInfo(BaseModel):
    name: str | None
    version: str | None
    alias: str | None
    uri: str = Field(description="the URI the server follows")
    run_id: str | None
    labels: list[str]
    embedder: str
    head: str
    backend: str = Field(description="what runs the encoder: torch, onnx, static, ...")
    test_metrics: dict[str, float]
    dataset_fingerprint: str | None
    env: dict[str, Any] = Field(description="environment lock summary and its check here")
    loaded_at: float = Field(description="unix time the model was loaded")


class HealthResponse(BaseModel):
    status: str
    model: ModelRef | None = None
    detail: str | None = None


class ReloadResponse(BaseModel):
    swapped: bool
    model: ModelRef
    detail: str


class FieldError(BaseModel):
    field: str
    message: str


class ErrorResponse(BaseModel):
    error: str = Field(description="what went wrong and what to do")
    detail: list[FieldError] | None = None
