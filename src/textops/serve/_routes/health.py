"""Liveness, readiness and Prometheus metrics (never behind the API key)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from textops.serve._schemas import HealthResponse, ModelRef
from textops.serve._state import State

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthResponse)
async def healthz(state: State) -> HealthResponse:
    """The process is alive (and which model it serves, once one is loaded: /readyz answers
    503 until then)."""
    model = state.holder.current
    ref = None if model is None else ModelRef(name=model.name, version=model.version)
    return HealthResponse(status="ok", model=ref)


@router.get(
    "/readyz",
    response_model=HealthResponse,
    responses={
        503: {
            "model": HealthResponse,
            "description": "no model loaded yet, or the registry it follows vanished",
        }
    },
)
async def readyz(state: State) -> HealthResponse | JSONResponse:
    """A model is loaded and answering, and the registry it follows is where it was."""
    model = state.holder.current
    unready = next((s.holder.unready for s in state.slots.values() if s.holder.unready), None)
    if model is None or unready is not None:
        detail = unready or state.holder.last_error
        body = HealthResponse(status="loading" if model is None else "unready", detail=detail)
        return JSONResponse(body.model_dump(), status_code=503)
    return HealthResponse(status="ready", model=ModelRef(name=model.name, version=model.version))


@router.get("/metrics", response_class=Response, response_model=None)
async def prometheus(state: State) -> Response:
    """Prometheus text format."""
    data, ctype = state.metrics.render()
    return Response(content=data, media_type=ctype)
