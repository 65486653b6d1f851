"""Every error the service answers, mapped to an HTTP status in one place."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

from textops.errors import (
    AuthError,
    ConfigError,
    ForbiddenError,
    InvalidFeedbackError,
    InvalidLabelError,
    ModelNotFoundError,
    MonitorUnavailableError,
    NotReadyError,
    PayloadTooLargeError,
    TextopsError,
    UnknownPredictionError,
    UnsupportedMediaTypeError,
    WrongModelKindError,
)

__all__ = ["install_error_handlers", "is_json", "not_json", "status_for"]

log = logging.getLogger("textops.serve")


_STATUS: list[tuple[type[BaseException], int]] = [
    (AuthError, 401),
    (ForbiddenError, 403),
    (PayloadTooLargeError, 413),
    (UnsupportedMediaTypeError, 415),
    (NotReadyError, 503),
    (MonitorUnavailableError, 503),
    (UnknownPredictionError, 404),
    (InvalidLabelError, 422),
    (InvalidFeedbackError, 422),
    (WrongModelKindError, 409),
    (ModelNotFoundError, 404),
    (ConfigError, 400),
    (TextopsError, 500),
]


def status_for(exc: BaseException) -> int:
    for cls, code in _STATUS:
        if isinstance(exc, cls):
            return code
    return 500


def is_json(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def not_json(content_type: str) -> UnsupportedMediaTypeError:
    return UnsupportedMediaTypeError(
        "the body must be JSON: send the header Content-Type: application/json "
        f"(got {content_type.split(';')[0].strip()!r})"
    )


def _message(error: Any) -> str:
    """pydantic's message for a validation error, in the service's words where it has them."""
    if (
        error.get("type") == "string_pattern_mismatch"
        and error.get("ctx", {}).get("pattern") == r"\S"
    ):
        return "empty or only whitespace: send a text (a blank text gets no prediction)"
    if error.get("type") == "string_unicode":
        # the JSON parser refuses a lone low surrogate ("\\udfff") before our validator sees it
        return (
            "not valid Unicode: a lone surrogate (half of a UTF-16 pair) that no UTF-8 text "
            "holds; send the whole pair or drop it"
        )
    return str(error.get("msg"))


def _field(loc: Any) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI) -> None:
    from fastapi import Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException

    def _json(
        status: int,
        error: str,
        detail: list[dict[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        headers = dict(headers or {})
        if status == 401:
            headers["WWW-Authenticate"] = "ApiKey"
        return JSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Any:
        ctype = request.headers.get("content-type", "")
        if ctype and request.method in ("POST", "PUT", "PATCH") and not is_json(ctype):
            # FastAPI reads a body that is not declared JSON as bytes, and would then say
            # "Input should be a valid dictionary"
            return _json(415, str(not_json(ctype)))
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            msg = next(
                e.get("ctx", {}).get("error", "") for e in errors if e.get("type") == "json_invalid"
            )
            return _json(400, f'the body is not valid JSON ({msg}); send {{"texts": ["..."]}}')
        detail = [{"field": _field(e.get("loc", ())), "message": _message(e)} for e in errors]
        fields = ", ".join(d["field"] for d in detail)
        return _json(422, f"invalid request: check {fields}", detail)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Any:
        # a 405 keeps its Allow header (RFC 9110): the client learns which methods there are
        return _json(exc.status_code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(TextopsError)
    async def _textops(request: Request, exc: TextopsError) -> Any:
        status = status_for(exc)
        if status >= 500:
            log.error("%s %s failed: %s", request.method, request.url.path, exc)
        detail = None if exc.field is None else [{"field": exc.field, "message": str(exc)}]
        return _json(status, str(exc), detail)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Any:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _json(500, f"internal error ({type(exc).__name__}); see the server log")
