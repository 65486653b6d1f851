"""What answers (/v1/model) and the admin reload."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from textops.serve._schemas import ERRORS, ErrorResponse, ModelInfo, ModelRef, ReloadResponse
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
    return ModelInfo(**state.holder.get().info())


@router.post(
    "/v1/admin/reload",
    response_model=ReloadResponse,
    tags=["admin"],
    responses={**ERRORS, 403: {"model": ErrorResponse, "description": "admin is off"}},
    dependencies=[Depends(require_admin)],
)
async def reload(state: State) -> ReloadResponse:
    """Resolve the alias now and load it (even when the version is unchanged)."""
    swapped, detail = await state.holder.refresh(force=True)
    model = state.holder.get()
    return ReloadResponse(
        swapped=swapped, model=ModelRef(name=model.name, version=model.version), detail=detail
    )
