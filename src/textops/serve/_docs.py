"""Swagger UI at /docs and ReDoc at /redoc with their assets served from an installed package
(``fastapi-offline``): FastAPI's own pages load them from a CDN, which an offline or
air-gapped deployment cannot reach, and the page stays blank."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["add_docs_routes", "docs_assets_dir"]

_ASSETS = {
    "swagger-ui-bundle.js": "application/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "application/javascript",
    "favicon.png": "image/png",
}
_PREFIX = "/static/docs"


def docs_assets_dir() -> Path:
    from textops._packages import package_dir

    return package_dir("fastapi_offline", "fastapi-offline", "the offline /docs page") / "static"


def add_docs_routes(app: FastAPI) -> None:
    """/docs, /redoc and their assets; the app must be created with docs_url=None,
    redoc_url=None."""
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
    from fastapi.responses import FileResponse, HTMLResponse

    title = f"{app.title} - docs"
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=f"{_PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{_PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{_PREFIX}/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=title,
            redoc_js_url=f"{_PREFIX}/redoc.standalone.js",
            redoc_favicon_url=f"{_PREFIX}/favicon.png",
            with_google_fonts=False,
        )

    @app.get(_PREFIX + "/{name}", include_in_schema=False)
    async def asset(name: str) -> Any:
        from starlette.exceptions import HTTPException

        if name not in _ASSETS:  # a fixed list: no path from the request reaches the disk
            raise HTTPException(404, f"no docs asset {name!r}")
        return FileResponse(
            docs_assets_dir() / name,
            media_type=_ASSETS[name],
            headers={"cache-control": "public, max-age=86400"},
        )
