"""POST /v1/predict: the request path every prediction takes, kept lean.

The body is validated by its pydantic model (a 4xx names the field); the texts join the
micro-batcher's next model call; the answer is written as JSON bytes here, once, instead of
being built as pydantic objects and validated again against the response model (the OpenAPI
document still describes :class:`PredictResponse`).
"""

from __future__ import annotations

import json
import os
import time

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import Response

from textops.errors import PayloadTooLargeError
from textops.serve._metrics import ServiceMetrics
from textops.serve._schemas import ERRORS, PredictRequest, PredictResponse
from textops.serve._settings import ServeSettings
from textops.serve._state import ModelSlot, ServiceState, check_key

router = APIRouter()


def apply_limits(
    texts: list[str], settings: ServeSettings, metrics: ServiceMetrics, field: str = "texts"
) -> list[str]:
    if len(texts) > settings.max_texts:
        raise PayloadTooLargeError(
            f"{field}: {len(texts)} texts is over the limit of {settings.max_texts} per request; "
            "split the request"
        )
    out = texts
    for i, text in enumerate(texts):
        if len(text) > settings.max_chars:
            if settings.long_text == "reject":
                raise PayloadTooLargeError(
                    f"{field}.{i}: {len(text):,} characters is over the limit of "
                    f"{settings.max_chars:,}; shorten it (or start the server with "
                    "--long-text truncate)"
                )
            metrics.truncated.inc()
            if out is texts:
                out = list(texts)
            out[i] = text[: settings.max_chars]
    return out


def _render(
    name: str | None,
    version: str | None,
    labels: list[str],
    ids: list[str],
    predicted: list[str],
    proba: np.ndarray,
) -> bytes:
    """The PredictResponse JSON: one ``json.dumps`` of plain lists and dicts."""
    preds = [
        {
            "prediction_id": pid,
            "label": label,
            "probabilities": dict(zip(labels, row, strict=True)),
        }
        for pid, label, row in zip(ids, predicted, proba.tolist(), strict=True)
    ]
    body = {"model": {"name": name, "version": version}, "predictions": preds}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


async def _predict(state: ServiceState, slot: ModelSlot, texts: list[str], t0: float) -> Response:
    texts = apply_limits(texts, state.settings, state.metrics)
    _ = slot.holder.get().clf  # 503 before queueing when nothing is loaded, 409 on a generator
    model, proba = await slot.batcher.submit(texts)
    labels = model.labels
    best = proba.argmax(axis=1).tolist()
    if state.monitor is not None:  # signed: feedback finds them even if their log is lost
        ids = state.monitor.new_ids(model, best)
    else:
        ids = [os.urandom(16).hex() for _ in texts]
    predicted = [labels[i] for i in best]
    state.metrics.count_predictions(predicted)
    state.metrics.model_texts.labels(slot.name).inc(len(texts))
    if state.monitor is not None:
        state.monitor.record(
            model, texts, ids, predicted, labels, proba, 1000 * (time.perf_counter() - t0)
        )
    content = _render(model.name, model.version, labels, ids, predicted, proba)
    return Response(content, media_type="application/json")


@router.post(
    "/v1/predict",
    response_model=PredictResponse,
    tags=["predict"],
    responses=ERRORS,
    # the key is checked inline below: a dependency costs FastAPI's resolution per request
    openapi_extra={"security": [{"APIKeyHeader": []}]},
)
async def predict(body: PredictRequest, request: Request) -> Response:
    """Label and class probabilities per text, in input order (the first served model)."""
    t0 = time.perf_counter()
    state: ServiceState = request.app.state.service
    check_key(state, request.headers.get("x-api-key"))
    return await _predict(state, state.slot(), body.texts, t0)


@router.post(
    "/v1/models/{name}/predict",
    response_model=PredictResponse,
    tags=["predict"],
    responses=ERRORS,
    openapi_extra={"security": [{"APIKeyHeader": []}]},
)
async def predict_with(name: str, body: PredictRequest, request: Request) -> Response:
    """/v1/predict on the served model ``name`` (see GET /v1/models)."""
    t0 = time.perf_counter()
    state: ServiceState = request.app.state.service
    check_key(state, request.headers.get("x-api-key"))
    return await _predict(state, state.slot(name), body.texts, t0)
