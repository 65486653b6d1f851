"""What answers (/v1/model) and the admin reload."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from textops.monitor import RetrainStatus
from textops.serve._schemas import (
    ERRORS,
    ErrorResponse,
    ModelInfo,
    ModelRef,
    ReloadResponse,
    RetrainResponse,
)
from textops.serve._state import State, require_admin, require_key

router = APIRouter()


@router.get(
    "/v1/model",
    response_model=ModelInfo,
    tags=["model"],
    responses=ERRORS,
    dependencies=[Depends(require_key)],
)
async def model_info(state: State) -> ModelInfo:
    """What answers: version, alias, test metrics, dataset fingerprint, environment."""
    return state.holder.get().info()


@router.get(
    "/v1/models",
    tags=["model"],
    responses=ERRORS,
    dependencies=[Depends(require_key)],
)
async def models(state: State) -> dict[str, list[ModelInfo]]:
    """Every model this service serves (the first also answers /v1/predict)."""
    return {"models": [s.holder.get().info() for s in state.slots.values()]}


@router.get(
    "/v1/models/{name}",
    response_model=ModelInfo,
    tags=["model"],
    responses=ERRORS,
    dependencies=[Depends(require_key)],
)
async def model_named(name: str, state: State) -> ModelInfo:
    """/v1/model of the served model ``name``."""
    return state.slot(name).holder.get().info()


@router.post(
    "/v1/admin/reload",
    response_model=ReloadResponse,
    tags=["admin"],
    responses={**ERRORS, 403: {"model": ErrorResponse, "description": "admin is off"}},
    dependencies=[Depends(require_admin)],
)
async def reload(state: State) -> ReloadResponse:
    """Resolve the alias now and load it (even when the version is unchanged); with several
    served models, every one of them (``others``: the models after the first)."""
    swapped, detail = await state.holder.refresh(force=True)
    model = state.holder.get()
    others = []
    for slot in list(state.slots.values())[1:]:
        other_swapped, other_detail = await slot.holder.refresh(force=True)
        current = slot.holder.get()
        others.append(
            ReloadResponse(
                swapped=other_swapped,
                detail=other_detail,
                model=ModelRef(name=current.name, version=current.version),
            )
        )
    return ReloadResponse(
        swapped=swapped,
        model=ModelRef(name=model.name, version=model.version),
        detail=detail,
        others=others,
    )


def _trigger(state: State):  # type: ignore[no-untyped-def]
    from textops.errors import ForbiddenError

    if state.retrain is None:  # a service created without a model (the OpenAPI export)
        raise ForbiddenError("retraining is off: start the service with --on-drift retrain")
    return state.retrain


_RETRAIN = {
    "response_model": RetrainResponse,
    "tags": ["admin"],
    "responses": {**ERRORS, 403: {"model": ErrorResponse, "description": "admin or retrain off"}},
    "dependencies": [Depends(require_admin)],
}


#: included only when the service runs with --on-drift retrain
retrain_router = APIRouter()


@retrain_router.post("/v1/retrain", **_RETRAIN)  # type: ignore[arg-type]
async def retrain(state: State) -> RetrainResponse:
    """Queue one `textops retrain` of the served model from its feedback (what a drift alert
    does with --on-drift retrain; an alerting system's webhook can call this): started now,
    or queued behind the running one; never two at once."""
    trigger = _trigger(state)
    if state.monitor is not None:  # the retrain reads the feedback received until now
        await state.monitor.flushed()
    action = trigger.fire("POST /v1/retrain")
    return _response(action, trigger.status())


@retrain_router.get("/v1/retrain", **_RETRAIN)  # type: ignore[arg-type]
async def retrain_status(state: State) -> RetrainResponse:
    """Whether a retrain runs or is queued, and the ones this service started."""
    return _response("none", _trigger(state).status())


def _response(action: str, status: RetrainStatus) -> RetrainResponse:
    return RetrainResponse.model_validate(
        {"action": action, "running": status.running, "queued": status.queued,
         "runs": status.runs},
        from_attributes=True,
    )  # fmt: skip
