"""The dashboard page, its data route, and Plotly's JS served from the installed package (the
page works offline: nothing comes from a CDN)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["add_dashboard_routes", "plotly_js_path"]


def plotly_js_path() -> Path:
    from textops._packages import package_dir

    return (
        package_dir("plotly", "plotly==7.1.0", "the dashboard's charts")
        / "package_data"
        / "plotly.min.js"
    )


def add_dashboard_routes(app: FastAPI, monitor: Any, require_key: Any) -> None:
    from fastapi import Depends
    from fastapi.responses import FileResponse, HTMLResponse

    from textops.serve._monitor_routes import monitoring_off

    page = resources.files("textops.serve").joinpath("static/dashboard.html").read_text()

    @app.get("/dashboard", response_class=HTMLResponse, tags=["dashboard"], include_in_schema=True)
    async def dashboard() -> Any:
        """Traffic, latency, label mix, live accuracy, drift, the model card and a try-it box."""
        return HTMLResponse(page)

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Any:
        from fastapi.responses import Response

        return Response(status_code=204)

    @app.get("/static/plotly.min.js", include_in_schema=False)
    async def plotly_js() -> Any:
        return FileResponse(
            plotly_js_path(),
            media_type="application/javascript",
            headers={"cache-control": "public, max-age=86400"},
        )

    @app.get("/v1/monitor/timeseries", tags=["monitor"], dependencies=[Depends(require_key)])
    async def timeseries(since_seconds: float = 3600.0, buckets: int = 30) -> Any:
        """Buckets of the prediction log: requests, latency p50/p95, label mix, accuracy."""
        import asyncio

        from textops.monitor._timeseries import timeseries as compute

        if monitor is None:
            raise monitoring_off()
        if not (60 <= since_seconds <= 90 * 86400) or not (1 <= buckets <= 500):
            from textops.errors import ConfigError

            raise ConfigError("since_seconds must be 60..7776000 and buckets 1..500")
        return await asyncio.to_thread(
            compute, monitor.store, since_seconds=since_seconds, buckets=buckets
        )
