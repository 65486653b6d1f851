"""The review queue of a served model (a review key or the admin key: it shows logged texts,
and the labels it asks for are reviewed feedback)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from textops.serve._review_schemas import ReviewResponse
from textops.serve._routes.monitor import ERRORS, ModelParam, Monitor
from textops.serve._state import State, require_reviewer, reviewer_of

router = APIRouter(tags=["review"], dependencies=[Depends(require_reviewer)])


@router.get("/v1/review", response_model=ReviewResponse, responses=ERRORS)
async def review_queue(
    request: Request,
    state: State,
    monitor: Monitor,
    model: ModelParam = None,
    n: Annotated[int, Query(ge=1, le=500)] = 50,
    strategy: Literal["uncertainty", "novelty"] = "uncertainty",
    pool: Annotated[int, Query(ge=10, le=20_000)] = 2000,
    spread: Literal["copies", "clusters", "none"] = "copies",
) -> ReviewResponse:
    """The unlabelled predictions of one served model (logged with --log-text) a label would
    teach most: uncertain ones, or texts unlike its training data; near-copies dropped
    (``spread=clusters``: also one per cluster of similar texts). Label them with POST
    /v1/models/NAME/feedback (with a review key its labels are that reviewer's; with the admin
    key, send a ``reviewer``); ``textops review`` adds the challenger's disagreement."""
    from textops.review import ReviewConfig, build_queue

    slot = state.slot(model)
    served = slot.holder.get()
    clf = served.clf  # a generator has no labels: 409
    name = str(served.name or served.uri)
    cfg = ReviewConfig(uri=served.uri, n=n, strategy=strategy, pool=pool, spread=spread)
    await monitor.flushed(wait=2.0)  # predictions made just before are in the queue
    records = await asyncio.to_thread(monitor.store.unlabelled, model_name=name, limit=pool)
    queue = await asyncio.to_thread(
        build_queue, records, clf, cfg, name=name, version=served.version,
        reference=served.reference,
    )  # fmt: skip
    out = ReviewResponse.model_validate(queue, from_attributes=True)
    out.reviewer = reviewer_of(state, request.headers.get("x-api-key"))
    return out
