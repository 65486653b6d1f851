"""POST /v1/explain: word attributions from the model that answers /v1/predict, with the same
key and limits. Explaining runs in a worker thread, beside the micro-batcher (an occlusion is
already one batched model call per text); its cost per text is in ``/metrics``."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from textops.serve._routes.predict import apply_limits
from textops.serve._schemas import ERRORS, ExplainRequest, ExplainResponse
from textops.serve._state import ServiceState, check_key

router = APIRouter()


async def _explain(state: ServiceState, holder: Any, body: ExplainRequest) -> ExplainResponse:
    from textops.explain import explain_texts, resolve_method

    texts = apply_limits(body.texts, state.settings, state.metrics)
    model = holder.get()
    method = resolve_method(model.clf, body.method)
    t0 = time.perf_counter()
    attrs = await run_in_threadpool(explain_texts, model.clf, texts, method, body.label)
    per_text = (time.perf_counter() - t0) / len(texts)
    state.metrics.explained.labels(method).inc(len(texts))
    state.metrics.explain_seconds.labels(method).observe(per_text)
    return ExplainResponse.model_validate(
        {
            "model": {"name": model.name, "version": model.version},
            "explanations": [a.as_json() for a in attrs],
        }
    )


@router.post(
    "/v1/explain",
    response_model=ExplainResponse,
    tags=["predict"],
    responses=ERRORS,
    openapi_extra={"security": [{"APIKeyHeader": []}]},
)
async def explain(body: ExplainRequest, request: Request) -> ExplainResponse:
    """Per-word scores toward the predicted label (or ``label``), in input order: positive
    words support it, negative ones speak against it."""
    state: ServiceState = request.app.state.service
    check_key(state, request.headers.get("x-api-key"))
    return await _explain(state, state.holder, body)


@router.post(
    "/v1/models/{name}/explain",
    response_model=ExplainResponse,
    tags=["predict"],
    responses=ERRORS,
    openapi_extra={"security": [{"APIKeyHeader": []}]},
)
async def explain_with(name: str, body: ExplainRequest, request: Request) -> ExplainResponse:
    """/v1/explain on the served model ``name``."""
    state: ServiceState = request.app.state.service
    check_key(state, request.headers.get("x-api-key"))
    return await _explain(state, state.slot(name).holder, body)
