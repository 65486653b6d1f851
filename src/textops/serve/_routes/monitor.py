"""The monitoring side: feedback, live performance and drift."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from textops._types import JSON
from textops.errors import ConfigError, ForbiddenError
from textops.monitor import DriftMonitor, MonitorService
from textops.serve._schemas import (
    DriftResponse,
    ErrorResponse,
    FeedbackRequest,
    FeedbackResponse,
    PerformanceResponse,
)
from textops.serve._state import State, require_key

router = APIRouter(tags=["monitor"], dependencies=[Depends(require_key)])

ERRORS: dict[int | str, JSON] = {
    code: {"model": ErrorResponse, "description": text}
    for code, text in [
        (400, "malformed JSON"),
        (401, "missing or wrong x-api-key"),
        (403, "monitoring is off (--no-monitor)"),
        (404, "an unknown prediction_id"),
        (415, "the body is not JSON"),
        (422, "an unknown label or an invalid field"),
        (503, "the monitor database cannot answer"),
    ]
}


def monitoring_off() -> ForbiddenError:
    return ForbiddenError("monitoring is off on this server (started with --no-monitor)")


async def monitor_of(state: State) -> MonitorService:
    if state.monitor is None:
        raise monitoring_off()
    return state.monitor


async def drift_of(state: State) -> DriftMonitor:
    if state.drift is None:
        raise monitoring_off()
    return state.drift


Monitor = Annotated[MonitorService, Depends(monitor_of)]
Drift = Annotated[DriftMonitor, Depends(drift_of)]


@router.post("/v1/feedback", response_model=FeedbackResponse, responses=ERRORS)
async def feedback(
    body: FeedbackRequest,
    state: State,
    monitor: Monitor,
) -> FeedbackResponse:
    """The true label of earlier predictions, one or many (``items``). The same feedback twice
    counts once; a later label for the same prediction replaces the earlier one. Whoever may
    predict may send feedback (the API key, when one is configured): the clients that got the
    predictions are the ones that learn the true labels."""
    try:
        pairs = body.pairs()
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    accepted = await monitor.feedback(pairs, state.holder.get().labels)
    return FeedbackResponse(accepted=accepted)


@router.post("/v1/models/{name}/feedback", response_model=FeedbackResponse, responses=ERRORS)
async def feedback_for(
    name: str, body: FeedbackRequest, state: State, monitor: Monitor
) -> FeedbackResponse:
    """/v1/feedback for predictions of the served model ``name`` (its labels are checked)."""
    try:
        pairs = body.pairs()
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    accepted = await monitor.feedback(pairs, state.slot(name).holder.get().labels)
    return FeedbackResponse(accepted=accepted)


@router.get("/v1/monitor/performance", response_model=PerformanceResponse, responses=ERRORS)
async def performance(state: State, monitor: Monitor) -> Any:
    """Accuracy, macro-F1, per-class recall and coverage of feedback: over all history and
    over the server's windows (counts of labelled predictions, or durations). Everything
    received before this request is counted (the log is flushed first)."""
    return await monitor.performance(state.holder.get().labels)


@router.get("/v1/monitor/drift", response_model=DriftResponse, responses=ERRORS)
async def drift_scores(state: State, drift: Drift, refresh: bool = False) -> Any:
    """The latest drift report of recent traffic against the model's training reference
    (``refresh=true`` recomputes it now)."""
    if refresh or drift.last is None:
        return await asyncio.to_thread(drift.compute, state.holder.get())
    return drift.last
