"""The bare baseline of bench/serve.py's request-path part: a FastAPI endpoint with the same
request and response shape as textops' /v1/predict, validating both with pydantic, and no model
behind it (a fixed answer). What any FastAPI service pays per request; not part of textops."""

from __future__ import annotations

import os

from fastapi import FastAPI
from pydantic import BaseModel, Field, StrictStr

LABELS = os.environ.get("BARE_LABELS", "a,b,c").split(",")
app = FastAPI()


class PredictRequest(BaseModel):
    texts: list[StrictStr] = Field(min_length=1)


class Prediction(BaseModel):
    prediction_id: str
    label: str
    probabilities: dict[str, float]


class ModelRef(BaseModel):
    name: str | None
    version: str | None


class PredictResponse(BaseModel):
    model: ModelRef
    predictions: list[Prediction]


@app.get("/ping")
async def ping() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/v1/predict", response_model=PredictResponse)
async def predict(body: PredictRequest) -> PredictResponse:
    share = 1 / len(LABELS)
    return PredictResponse(
        model=ModelRef(name="bare", version="1"),
        predictions=[
            Prediction(
                prediction_id=os.urandom(16).hex(),
                label=LABELS[0],
                probabilities=dict.fromkeys(LABELS, share),
            )
            for _ in body.texts
        ],
    )
