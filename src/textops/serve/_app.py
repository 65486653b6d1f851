"""The FastAPI app factory: nothing loads at import; the model loads when the app starts.

``create_app`` builds the service's state (the model holder, the micro-batcher, metrics, the
monitor) and includes one router per area (``_routes``); the routes read that state from
``app.state.service``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from textops._packages import require
from textops.errors import ConfigError
from textops.serve._settings import ENV_CONFIG, ServeSettings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from textops.monitor import RetrainTrigger
    from textops.serve._model import ServedModel
    from textops.serve._state import ModelSlot, ServiceState
    from textops.serve._swap import ModelHolder

__all__ = ["app_from_env", "create_app"]

log = logging.getLogger("textops.serve")


def _check_env(model: ServedModel, strict: bool) -> None:
    check = model.env.check
    if check.ok:
        return
    diffs = ", ".join(
        f"{d.package} {d.model} (model) vs {d.here} (here)" for d in check.numeric_differences
    )
    msg = f"this environment differs from the model's lock in numeric packages: {diffs}"
    if strict:
        raise ConfigError(msg + "; refusing to serve (--strict-env). Install the locked versions")
    log.warning("%s; predictions may differ from the registered metrics", msg)


def _state(settings: ServeSettings, load_model: bool, holder: ModelHolder | None) -> ServiceState:
    from textops.serve._metrics import ServiceMetrics
    from textops.serve._state import ServiceState
    from textops.serve._swap import ModelHolder
    from textops.track import default_tracking_uri

    api_key, admin_key = settings.api_key(), settings.admin_key()
    metrics = ServiceMetrics()
    tracking_uri = settings.tracking_uri or default_tracking_uri(settings.home)
    if holder is None:
        holder = ModelHolder(
            settings.model_uri, tracking_uri, metrics=metrics, backend=settings.backend
        )
    else:
        holder.metrics = metrics
    if settings.on_drift == "retrain" and not (settings.monitor and settings.log_text):
        raise ConfigError("--on-drift retrain learns from logged texts: serve with --monitor "
                          "and --log-text")  # fmt: skip
    monitor = trigger = None
    if settings.monitor and load_model:
        from textops.monitor import MonitorService, parse_window

        for w in settings.perf_windows:
            parse_window(w)  # a bad window is a config error now, not on the first request
        monitor = MonitorService(
            url=settings.monitor_db,
            home=settings.home,
            log_text=settings.log_text,
            windows=settings.perf_windows,
            buffer_size=settings.monitor_buffer,
            metrics=metrics,
        )
        trigger = _retrain_trigger(settings, tracking_uri)
    first = _slot(settings, settings.model_uri, holder, metrics, monitor, trigger)
    state = ServiceState(
        settings, holder, first.batcher, metrics, api_key, monitor, first.drift, trigger,
        admin_key=admin_key, review_keys=settings.review_keys(),
    )  # fmt: skip
    state.slots = {first.name: first}
    for uri in settings.also_serve:
        other = ModelHolder(uri, tracking_uri, metrics=metrics, backend=settings.backend)
        slot = _slot(settings, uri, other, metrics, monitor, None)
        if slot.name in state.slots:
            raise ConfigError(
                f"two served models are named {slot.name!r}: serve one version per name"
            )
        state.slots[slot.name] = slot
    return state


def slot_name(uri: str) -> str:
    """A served model's name in /v1/models/NAME: its registered name, else its folder's."""
    from pathlib import Path

    from textops.track import ModelURI

    name = ModelURI.parse(uri).name
    return name or Path(uri.rstrip("/")).name or "model"


def _slot(
    settings: ServeSettings,
    uri: str,
    holder: ModelHolder,
    metrics: Any,
    monitor: Any,
    trigger: RetrainTrigger | None,
) -> ModelSlot:
    """One served model: its holder, its batcher (same limits for every model) and, with
    monitoring, its own drift watch (alerts of the first also queue its retrain)."""
    from textops.serve._batcher import MicroBatcher
    from textops.serve._observe import observing
    from textops.serve._state import ModelSlot

    drift = None
    if monitor is not None:
        from textops.monitor import DriftMonitor

        drift = DriftMonitor(
            window=settings.drift_window, webhook=settings.alert_webhook, metrics=metrics,
            on_alert=None if trigger is None else trigger.on_alert,
        )  # fmt: skip
        holder.on_load = monitor.served
    batcher = MicroBatcher(
        holder.get,
        call=None if drift is None else observing(drift),
        max_batch_size=settings.max_batch_size,
        max_wait_ms=settings.max_wait_ms,
        metrics=metrics,
    )
    return ModelSlot(slot_name(uri), uri, holder, batcher, drift)


def _retrain_trigger(settings: ServeSettings, tracking_uri: str) -> RetrainTrigger | None:
    """A retrain of the served model from its feedback, in a process of its own."""
    from textops.monitor import RetrainJob, RetrainTrigger, default_monitor_url, parse_window
    from textops.track import ModelURI

    if settings.on_drift != "retrain":
        return None
    if not ModelURI.parse(settings.model_uri).registered:
        raise ConfigError("--on-drift retrain needs a registered model: models:/NAME@champion")
    kind, since = parse_window(settings.retrain_since)
    if kind != "time":
        raise ConfigError(f"--retrain-since {settings.retrain_since!r}: give a duration, e.g. 7d")
    job = RetrainJob(
        model_uri=settings.model_uri,
        since_seconds=since,
        overrides=settings.retrain_set,
        tracking_uri=tracking_uri,
        monitor_url=settings.monitor_db or default_monitor_url(settings.home),
        home=None if settings.home is None else str(settings.home),
    )
    return RetrainTrigger.for_job(job)


async def _start_slot(state: ServiceState, slot: ModelSlot, load_model: bool) -> list[Any]:
    """Load a served model (unless given loaded), start its batcher; its background tasks."""
    settings, holder = state.settings, slot.holder
    tasks: list[Any] = []
    if load_model:
        if holder.current is None:
            await holder.refresh()
        elif holder.on_load is not None:  # loaded before the app existed (serve preloads)
            await asyncio.to_thread(holder.on_load, holder.current)
        if holder.current is not None:
            state.metrics.set_model(holder.current)
            _check_env(holder.current, settings.strict_env)
        elif settings.strict_env and slot is next(iter(state.slots.values())):
            raise RuntimeError(f"cannot load {slot.uri}: {holder.last_error}")
        if settings.poll_seconds > 0:
            tasks.append(asyncio.create_task(holder.poll(settings.poll_seconds)))
    await slot.batcher.start()
    return tasks


def _lifespan(state: ServiceState, load_model: bool) -> Any:
    settings = state.settings

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from textops.serve._observe import drift_loop

        tasks: list[asyncio.Task[None]] = []
        for slot in state.slots.values():
            tasks += await _start_slot(state, slot, load_model)
        # the objects of startup (the model, the libraries) live as long as the process: out of
        # the collector's reach, a full collection under load walks what requests made only,
        # in milliseconds instead of a pause of a hundred (the p99 of a busy service)
        gc.collect()
        gc.freeze()
        # thousands of open connections (slow clients, a flood) live for seconds: with the
        # default thresholds a full collection walks all of them every second or so, a pause
        # that lands in the p99 of everyone else. Young collections every 10,000 allocations
        # (a millisecond each) and a full one every 100 middle ones: every half minute under
        # load, and the cycles a request leaves are still freed young (bench/hostile.py)
        gc.set_threshold(10_000, 10, 100)
        if state.monitor is not None:
            state.monitor.start()
            for slot in state.slots.values():
                if slot.drift is not None and settings.drift_seconds > 0:
                    loop = drift_loop(slot.drift, slot.holder, settings.drift_seconds)
                    tasks.append(asyncio.create_task(loop))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if state.monitor is not None:
                await asyncio.to_thread(state.monitor.stop)
            for slot in state.slots.values():
                await slot.batcher.stop()

    return lifespan


def create_app(
    settings: ServeSettings, *, load_model: bool = True, holder: ModelHolder | None = None
) -> FastAPI:
    """A FastAPI app serving ``settings.model_uri``. ``load_model=False`` builds the routes only
    (for the OpenAPI export); ``holder`` serves a model already loaded (tests)."""
    require("serve", "textops serve", "fastapi", "uvicorn", "prometheus_client", "fastapi_offline")
    from fastapi import FastAPI

    from textops._version import __version__
    from textops.serve._docs import add_docs_routes
    from textops.serve._errors import install_error_handlers
    from textops.serve._middleware import (
        BodyLimitMiddleware,
        GuardMiddleware,
        MetricsMiddleware,
    )
    from textops.serve._routes import (
        dashboard,
        explain,
        generate,
        health,
        model,
        monitor,
        predict,
        review,
    )  # fmt: skip
    from textops.serve._spec import state_limits

    state = _state(settings, load_model, holder)
    app = FastAPI(
        title="textops prediction service",
        version=__version__,
        description=(
            f"Serves `{settings.model_uri}` and follows its registry alias. Send the API key, "
            "when one is configured, in the `x-api-key` header."
        ),
        lifespan=_lifespan(state, load_model),
        docs_url=None,
        redoc_url=None,
        # where clients reach it (an LLM tool or action imports the spec with its servers)
        servers=[{"url": settings.public_url}] if settings.public_url else None,
    )
    app.state.service = state
    areas = (health, predict, explain, generate, model, monitor, review, dashboard)
    routers = [area.router for area in areas]
    if settings.on_drift == "retrain":  # the retrain routes exist only where retraining is on
        routers.append(model.retrain_router)
    for router in routers:
        app.include_router(router)
    add_docs_routes(app)
    state_limits(app, settings)
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(GuardMiddleware, state=state)
    # the routes themselves, for naming a request answered before routing (a 413)
    routes = [route for router in routers for route in router.routes]
    app.add_middleware(MetricsMiddleware, metrics=state.metrics, routes=routes)
    return app


def app_from_env() -> FastAPI:
    """uvicorn factory for worker processes: settings come from ``$TEXTOPS_SERVE_CONFIG``."""
    raw = os.environ.get(ENV_CONFIG)
    if not raw:
        raise RuntimeError(f"{ENV_CONFIG} is not set; start the server with `textops serve`")
    return create_app(ServeSettings.model_validate_json(raw))
