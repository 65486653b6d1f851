"""The FastAPI app factory: nothing loads at import; the model loads when the app starts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from textops.errors import AuthError, ForbiddenError, PayloadTooLargeError
from textops.serve._errors import install_error_handlers
from textops.serve._schemas import (
    ErrorResponse,
    HealthResponse,
    ModelInfo,
    ModelRef,
    Prediction,
    PredictRequest,
    PredictResponse,
    ReloadResponse,
)
from textops.serve._settings import ENV_CONFIG, ServeSettings

__all__ = ["app_from_env", "create_app"]

log = logging.getLogger("textops.serve")

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": text}
    for code, text in [
        (400, "malformed JSON"),
        (401, "missing or wrong x-api-key"),
        (413, "over a configured limit"),
        (422, "a field is invalid; `detail` names it"),
        (503, "no model loaded yet"),
    ]
}


def _check_env(model: Any, strict: bool) -> None:
    env = model.env
    if env.get("matches_here", True):
        return
    diffs = ", ".join(
        f"{d['package']} {d['model']} (model) vs {d['here']} (here)"
        for d in env.get("numeric_differences", [])
    )
    msg = f"this environment differs from the model's lock in numeric packages: {diffs}"
    if strict:
        from textops.errors import ConfigError

        raise ConfigError(msg + "; refusing to serve (--strict-env). Install the locked versions")
    log.warning("%s; predictions may differ from the registered metrics", msg)


def create_app(
    settings: ServeSettings, *, load_model: bool = True, holder: Any | None = None
) -> Any:
    """A FastAPI app serving ``settings.model_uri``. ``load_model=False`` builds the routes only
    (for the OpenAPI export)."""
    from fastapi import Depends, FastAPI, Security
    from fastapi.responses import Response
    from fastapi.security import APIKeyHeader

    from textops import __version__
    from textops.serve._batcher import MicroBatcher
    from textops.serve._metrics import ServiceMetrics
    from textops.serve._middleware import BodyLimitMiddleware, MetricsMiddleware
    from textops.serve._swap import ModelHolder
    from textops.track import default_tracking_uri

    api_key = settings.api_key()
    metrics = ServiceMetrics()
    tracking_uri = settings.tracking_uri or default_tracking_uri(settings.home)
    if holder is None:
        holder = ModelHolder(
            settings.model_uri, tracking_uri, metrics=metrics, backend=settings.backend
        )
    else:
        holder.metrics = metrics
    monitor = None
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
    drift = None
    call = None
    if monitor is not None:
        from textops.monitor._drift_monitor import DriftMonitor

        drift = DriftMonitor(
            window=settings.drift_window, webhook=settings.alert_webhook, metrics=metrics
        )

        def call(model: Any, texts: list[str]) -> Any:
            proba, X = model.predict_with_vectors(texts)
            drift.observe(model, texts, X, [model.labels[i] for i in proba.argmax(axis=1)])
            return proba

    batcher = MicroBatcher(
        holder.get,
        call=call,
        max_batch_size=settings.max_batch_size,
        max_wait_ms=settings.max_wait_ms,
        metrics=metrics,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        poller = None
        if load_model:
            if holder.current is None:
                await holder.refresh()
            if holder.current is not None:
                _check_env(holder.current, settings.strict_env)
            elif settings.strict_env:
                raise RuntimeError(f"cannot load {settings.model_uri}: {holder.last_error}")
            if settings.poll_seconds > 0:
                poller = asyncio.create_task(holder.poll(settings.poll_seconds))
        await batcher.start()
        drift_task = None
        if monitor is not None:
            monitor.start()
            if drift is not None and settings.drift_seconds > 0:
                drift_task = asyncio.create_task(_drift_loop(drift, holder, settings.drift_seconds))
        try:
            yield
        finally:
            if drift_task is not None:
                drift_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await drift_task
            if monitor is not None:
                await asyncio.to_thread(monitor.stop)
            if poller is not None:
                poller.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await poller
            await batcher.stop()

    app = FastAPI(
        title="textops prediction service",
        version=__version__,
        description=(
            f"Serves `{settings.model_uri}` and follows its registry alias. Send the API key, "
            "when one is configured, in the `x-api-key` header."
        ),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    from textops.serve._docs import add_docs_routes

    add_docs_routes(app)
    app.state.holder = holder
    app.state.batcher = batcher
    app.state.metrics = metrics
    app.state.settings = settings
    app.state.monitor = monitor
    app.state.drift = drift
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics, routes=app.router.routes)

    key_header = APIKeyHeader(name="x-api-key", auto_error=False)

    def _match(given: str | None) -> None:
        if api_key is None:
            return
        if given is None:
            raise AuthError("this server needs an API key: send it in the x-api-key header")
        if not secrets.compare_digest(given.encode(), api_key.encode()):
            raise AuthError("wrong API key in the x-api-key header")

    def require_key(given: str | None = Security(key_header)) -> None:
        _match(given)

    def require_admin(given: str | None = Security(key_header)) -> None:
        if api_key is None:
            raise ForbiddenError(
                "admin endpoints are off: start the server with --api-key-env VAR to enable them"
            )
        _match(given)

    @app.get("/healthz", response_model=HealthResponse, tags=["health"])
    async def healthz() -> HealthResponse:
        """The process is alive (and which model it serves, once one is loaded: /readyz
        answers 503 until then)."""
        model = holder.current
        ref = None if model is None else ModelRef(name=model.name, version=model.version)
        return HealthResponse(status="ok", model=ref)

    @app.get(
        "/readyz",
        response_model=HealthResponse,
        tags=["health"],
        responses={503: {"model": HealthResponse, "description": "no model loaded yet"}},
    )
    async def readyz() -> Any:
        """A model is loaded and answering."""
        from fastapi.responses import JSONResponse

        model = holder.current
        if model is None:
            body = HealthResponse(status="loading", detail=holder.last_error)
            return JSONResponse(body.model_dump(), status_code=503)
        return HealthResponse(
            status="ready", model=ModelRef(name=model.name, version=model.version)
        )

    @app.get("/metrics", tags=["health"], response_class=Response, response_model=None)
    async def prometheus() -> Any:
        """Prometheus text format."""
        data, ctype = metrics.render()
        return Response(content=data, media_type=ctype)

    @app.post(
        "/v1/predict",
        response_model=PredictResponse,
        tags=["predict"],
        responses=_ERRORS,
        dependencies=[Depends(require_key)],
    )
    async def predict(body: PredictRequest) -> PredictResponse:
        """Label and class probabilities per text, in input order."""
        t0 = time.perf_counter()
        texts = _apply_limits(body.texts, settings, metrics)
        holder.get()  # 503 before queueing when nothing is loaded
        model, proba = await batcher.submit(texts)
        labels = model.labels
        preds = []
        for row in proba:
            best = int(row.argmax())
            metrics.predictions.labels(labels[best]).inc()
            preds.append(
                Prediction(
                    prediction_id=uuid.uuid4().hex,
                    label=labels[best],
                    probabilities={lab: float(p) for lab, p in zip(labels, row, strict=True)},
                )
            )
        if monitor is not None:
            monitor.record(model, texts, preds, 1000 * (time.perf_counter() - t0))
        return PredictResponse(
            model=ModelRef(name=model.name, version=model.version), predictions=preds
        )

    @app.get(
        "/v1/model",
        response_model=ModelInfo,
        tags=["model"],
        responses=_ERRORS,
        dependencies=[Depends(require_key)],
    )
    async def model_info() -> ModelInfo:
        """What answers: version, alias, test metrics, dataset fingerprint, environment."""
        return ModelInfo(**holder.get().info())

    @app.post(
        "/v1/admin/reload",
        response_model=ReloadResponse,
        tags=["admin"],
        responses={**_ERRORS, 403: {"model": ErrorResponse, "description": "admin is off"}},
        dependencies=[Depends(require_admin)],
    )
    async def reload() -> ReloadResponse:
        """Resolve the alias now and load it (even when the version is unchanged)."""
        swapped, detail = await holder.refresh(force=True)
        model = holder.get()
        return ReloadResponse(
            swapped=swapped, model=ModelRef(name=model.name, version=model.version), detail=detail
        )

    from textops.serve._monitor_routes import add_monitor_routes

    add_monitor_routes(app, monitor, drift, holder, require_admin, require_key)
    from textops.serve._dashboard import add_dashboard_routes

    add_dashboard_routes(app, monitor, require_key)
    return app


async def _drift_loop(drift: Any, holder: Any, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        model = holder.current
        if model is None:
            continue
        try:
            await asyncio.to_thread(drift.compute, model)
        except Exception as exc:  # a failed drift check must not stop the loop
            log.warning("drift computation failed: %s", exc)


def _apply_limits(texts: list[str], settings: ServeSettings, metrics: Any) -> list[str]:
    if len(texts) > settings.max_texts:
        raise PayloadTooLargeError(
            f"texts: {len(texts)} texts is over the limit of {settings.max_texts} per request; "
            "split the request"
        )
    out = []
    for i, text in enumerate(texts):
        if len(text) > settings.max_chars:
            if settings.long_text == "reject":
                raise PayloadTooLargeError(
                    f"texts.{i}: {len(text):,} characters is over the limit of "
                    f"{settings.max_chars:,}; shorten it (or start the server with "
                    "--long-text truncate)"
                )
            metrics.truncated.inc()
            text = text[: settings.max_chars]
        out.append(text)
    return out


def app_from_env() -> Any:
    """uvicorn factory for worker processes: settings come from ``$TEXTOPS_SERVE_CONFIG``."""
    import os

    raw = os.environ.get(ENV_CONFIG)
    if not raw:
        raise RuntimeError(f"{ENV_CONFIG} is not set; start the server with `textops serve`")
    return create_app(ServeSettings.model_validate_json(raw))
