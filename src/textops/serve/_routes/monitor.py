"""The monitoring side: feedback, live performance and drift, each of one served model.

Feedback goes to the model that made the prediction (/v1/feedback: the first served model;
/v1/models/NAME/feedback: the model NAME) and must name one of its predictions and one of its
labels. Reads take ``?model=NAME`` (default: the first served model) and ``?version=`` (default:
the version serving now; ``all``: every version of that model).
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from textops._types import JSON
from textops.errors import ForbiddenError
from textops.monitor import DriftMonitor, MonitorService, Provenance, key_fingerprint
from textops.serve._monitor_schemas import (
    DriftResponse,
    FeedbackRequest,
    FeedbackResponse,
    PerformanceResponse,
)
from textops.serve._schemas import ERRORS as SHARED_ERRORS
from textops.serve._schemas import ErrorResponse
from textops.serve._state import (
    ModelSlot,
    ServiceState,
    State,
    check_admin,
    require_key,
    reviewer_of,
)

router = APIRouter(tags=["monitor"], dependencies=[Depends(require_key)])

ERRORS: dict[int | str, JSON] = {
    **SHARED_ERRORS,
    **{
        code: {"model": ErrorResponse, "description": text}
        for code, text in [
            (403, "monitoring is off (--no-monitor), or a reviewer without the admin key"),
            (404, "an unknown prediction_id, or a model this service does not serve"),
            (409, "the model is a generator: it has no labels"),
            (422, "an unknown label, a prediction of another model, or an invalid field"),
        ]
    },
}
ERRORS[503] = {
    **SHARED_ERRORS[503],
    "description": "the monitor database cannot answer, cannot store feedback now, or the "
    "service is over --max-pending (Retry-After)",
}

ModelParam = Annotated[
    str | None, Query(description="a served model's name (default: the first one)")
]
VersionParam = Annotated[
    str | None,
    Query(description="the model's version (default: the one serving now; all: every version)"),
]


def monitoring_off() -> ForbiddenError:
    return ForbiddenError("monitoring is off on this server (started with --no-monitor)")


async def monitor_of(state: State) -> MonitorService:
    if state.monitor is None:
        raise monitoring_off()
    return state.monitor


Monitor = Annotated[MonitorService, Depends(monitor_of)]


def _drift_of(slot: ModelSlot) -> DriftMonitor:
    if slot.drift is None:
        raise monitoring_off()
    return slot.drift


def _provenance(request: Request, state: ServiceState, body: FeedbackRequest) -> Provenance:
    """Who sent this feedback. Reviewed labels may decide a promotion, so a client that can
    predict must not mark its own labels reviewed: a review key's labels are reviewed by its
    reviewer (and by no one else), otherwise a reviewer needs the admin key."""
    given = request.headers.get("x-api-key")
    client = request.client.host if request.client is not None else None
    reviewer = reviewer_of(state, given)
    if reviewer is not None:
        if body.reviewer is not None and body.reviewer != reviewer:
            raise ForbiddenError(
                f"this review key is {reviewer}'s: send reviewer {reviewer!r} or none"
            )
        return Provenance(key_fingerprint(given), client, reviewer)
    if body.reviewer is not None:
        check_admin(state, given)
    return Provenance(key_fingerprint(given), client, body.reviewer)


async def _feedback(
    request: Request, state: ServiceState, monitor: MonitorService, slot: ModelSlot,
    body: FeedbackRequest,
) -> FeedbackResponse:  # fmt: skip
    pairs = body.pairs()
    who = _provenance(request, state, body)
    model = slot.holder.get()
    accepted = await monitor.feedback(pairs, model, who, single=body.items is None)
    return FeedbackResponse(accepted=accepted)


@router.post("/v1/feedback", response_model=FeedbackResponse, responses=ERRORS)
async def feedback(
    body: FeedbackRequest, request: Request, state: State, monitor: Monitor
) -> FeedbackResponse:
    """The true label of earlier predictions of the first served model, one or many
    (``items``). The same feedback twice counts once; a later label for the same prediction
    replaces the earlier one. Whoever may predict may send feedback; it is answered once it is
    stored durably (503 when it cannot be). Each row keeps who sent it (the key's fingerprint,
    the client address); ``reviewer`` (admin key only) marks labels a person reviewed."""
    return await _feedback(request, state, monitor, state.slot(), body)


@router.post("/v1/models/{name}/feedback", response_model=FeedbackResponse, responses=ERRORS)
async def feedback_for(
    name: str, body: FeedbackRequest, request: Request, state: State, monitor: Monitor
) -> FeedbackResponse:
    """/v1/feedback for predictions of the served model ``name`` (its predictions and its
    labels only)."""
    return await _feedback(request, state, monitor, state.slot(name), body)


def read_version(slot: ModelSlot, version: str | None) -> str | None:
    """The version a read covers: the one serving now unless named; None for all."""
    if version == "all":
        return None
    if version is not None:
        return version
    current = slot.holder.get()
    return None if current.version is None else str(current.version)


@router.get("/v1/monitor/performance", response_model=PerformanceResponse, responses=ERRORS)
async def performance(
    state: State, monitor: Monitor, model: ModelParam = None, version: VersionParam = None
) -> PerformanceResponse:
    """Accuracy, macro-F1, per-class recall and coverage of feedback of one served model
    (version): over all history and over the server's windows (counts of labelled
    predictions, or durations). Everything received before this request is counted (the log
    is flushed first)."""
    slot = state.slot(model)
    served = slot.holder.get()
    _ = served.clf  # a generator has no labels: 409
    perf = await monitor.performance(served, read_version(slot, version))
    return PerformanceResponse.model_validate(perf, from_attributes=True)


@router.get(
    "/v1/monitor/drift",
    response_model=DriftResponse,
    response_model_exclude_none=True,
    responses=ERRORS,
)
async def drift_scores(
    state: State, _monitor: Monitor, model: ModelParam = None, refresh: bool = False
) -> DriftResponse:
    """The latest drift report of one served model's recent traffic against its training
    reference (``refresh=true`` recomputes it now)."""
    slot = state.slot(model)
    served = slot.holder.get()
    _ = served.clf  # a generator has no labels: 409
    drift = _drift_of(slot)
    report = drift.last
    if refresh or report is None or report.model is None or report.model.version != served.version:
        report = await asyncio.to_thread(drift.compute, served)
    return DriftResponse.model_validate(report, from_attributes=True)
