"""The dashboard page, its data route, and Plotly's JS served from the installed package (the
page works offline: nothing comes from a CDN)."""

from __future__ import annotations

import asyncio
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse, HTMLResponse, Response

from textops.monitor import Timeseries, timeseries
from textops.serve._routes.monitor import (
    ERRORS,
    ModelParam,
    Monitor,
    VersionParam,
    read_version,
)
from textops.serve._state import State, require_key

router = APIRouter()


def plotly_js_path() -> Path:
    from textops._packages import package_dir

    return (
        package_dir("plotly", "plotly", "the dashboard's charts") / "package_data" / "plotly.min.js"
    )


@cache
def _page() -> str:
    return resources.files("textops.serve").joinpath("static/dashboard.html").read_text()


@router.get("/dashboard", response_class=HTMLResponse, tags=["dashboard"])
async def dashboard() -> HTMLResponse:
    """Traffic, latency, label mix, live accuracy, drift, the model card and a try-it box."""
    return HTMLResponse(_page())


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    return Response(status_code=204)


@router.get("/static/plotly.min.js", include_in_schema=False)
async def plotly_js() -> FileResponse:
    return FileResponse(
        plotly_js_path(),
        media_type="application/javascript",
        headers={"cache-control": "public, max-age=86400"},
    )


#: the dashboard's views kept in files of their own: the generator view (shown when the chosen
#: model is a generator) and the review view
_SCRIPTS = frozenset({"generator", "review"})


@cache
def _script(name: str) -> str:
    return resources.files("textops.serve").joinpath(f"static/{name}.js").read_text()


@router.get("/static/{name}.js", include_in_schema=False)
async def view_js(name: str) -> Response:
    if name not in _SCRIPTS:  # a fixed set: never a path from the request
        return Response(status_code=404)
    return Response(_script(name), media_type="application/javascript")


@router.get(
    "/v1/monitor/timeseries", tags=["monitor"], responses=ERRORS,
    dependencies=[Depends(require_key)],
)  # fmt: skip
async def monitor_timeseries(
    state: State,
    monitor: Monitor,
    since_seconds: Annotated[float, Query(ge=60, le=90 * 86400)] = 3600.0,
    buckets: Annotated[int, Query(ge=1, le=500)] = 30,
    model: ModelParam = None,
    version: VersionParam = None,
) -> Timeseries:
    """Buckets of one served model's prediction log (``model``, ``version`` as in
    /v1/monitor/performance): requests, latency p50/p95, label mix, accuracy."""
    slot = state.slot(model)
    served = slot.holder.get()
    return await asyncio.to_thread(
        timeseries, monitor.store, since_seconds=since_seconds, buckets=buckets,
        model_name=str(served.name or served.uri), model_version=read_version(slot, version),
    )  # fmt: skip
