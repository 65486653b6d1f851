"""Routes of the monitoring side: feedback and live performance."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

from textops.errors import ConfigError, ForbiddenError
from textops.serve._schemas import (
    DriftResponse,
    ErrorResponse,
    FeedbackRequest,
    FeedbackResponse,
    PerformanceResponse,
)

__all__ = ["add_monitor_routes", "monitoring_off"]

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": text}
    for code, text in [
        (400, "malformed JSON"),
        (401, "missing or wrong x-api-key"),
        (403, "monitoring is off (--no-monitor)"),
        (404, "an unknown prediction_id"),
        (422, "an unknown label or an invalid field"),
        (503, "the monitor database cannot answer"),
    ]
}


def monitoring_off() -> ForbiddenError:
    return ForbiddenError("monitoring is off on this server (started with --no-monitor)")


def add_monitor_routes(
    app: FastAPI, monitor: Any, drift: Any, holder: Any, require_admin: Any, require_key: Any
) -> None:
    from fastapi import Depends

    def _monitor() -> Any:
        if monitor is None:
            raise monitoring_off()
        return monitor

    @app.post(
        "/v1/feedback",
        response_model=FeedbackResponse,
        tags=["monitor"],
        responses=_ERRORS,
        dependencies=[Depends(require_key)],
    )
    async def feedback(body: FeedbackRequest) -> FeedbackResponse:
        """The true label of earlier predictions, one or many (``items``). The same feedback
        twice counts once; a later label for the same prediction replaces the earlier one.
        Whoever may predict may send feedback (the API key, when one is configured): the
        clients that got the predictions are the ones that learn the true labels."""
        try:
            pairs = body.pairs()
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        model = holder.get()
        accepted = await _monitor().feedback(pairs, model.labels)
        return FeedbackResponse(accepted=accepted)

    @app.get(
        "/v1/monitor/performance",
        response_model=PerformanceResponse,
        tags=["monitor"],
        responses=_ERRORS,
        dependencies=[Depends(require_key)],
    )
    async def performance() -> Any:
        """Accuracy, macro-F1, per-class recall and coverage of feedback: over all history and
        over the server's windows (counts of labelled predictions, or durations)."""
        return await _monitor().performance(holder.get().labels)

    @app.get(
        "/v1/monitor/drift",
        response_model=DriftResponse,
        tags=["monitor"],
        responses=_ERRORS,
        dependencies=[Depends(require_key)],
    )
    async def drift_scores(refresh: bool = False) -> Any:
        """The latest drift report of recent traffic against the model's training reference
        (``refresh=true`` recomputes it now)."""
        import asyncio

        if drift is None:
            raise monitoring_off()
        if refresh or drift.last is None:
            return await asyncio.to_thread(drift.compute, holder.get())
        return drift.last
