"""The OpenAPI document of one server states that server's own limits (``--max-texts``,
``--max-chars``, ``--max-new-tokens``), so a client generated from it, or a fuzzer, knows what
will be refused before sending it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textops._types import JSON
from textops.serve._settings import ServeSettings

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["state_limits"]

#: (schema, array field) pairs that ``apply_limits`` checks
_LISTS = (("PredictRequest", "texts"), ("ExplainRequest", "texts"), ("GenerateRequest", "prompts"))


def _patch(spec: JSON, settings: ServeSettings) -> JSON:
    schemas = spec.get("components", {}).get("schemas", {})
    for name, field in _LISTS:
        prop = schemas.get(name, {}).get("properties", {}).get(field)
        if prop is None:
            continue
        prop["maxItems"] = settings.max_texts
        if settings.long_text == "reject":
            prop["items"] = {**prop.get("items", {}), "maxLength": settings.max_chars}
    tokens = schemas.get("GenerateRequest", {}).get("properties", {}).get("max_new_tokens")
    if tokens is not None:
        for branch in tokens.get("anyOf", [tokens]):
            if branch.get("type") == "integer":
                branch["maximum"] = settings.max_new_tokens
    return spec


def state_limits(app: FastAPI, settings: ServeSettings) -> None:
    """Make ``app.openapi()`` carry ``settings``' limits."""
    build = app.openapi

    def openapi() -> JSON:
        if app.openapi_schema is None:
            app.openapi_schema = _patch(build(), settings)
        spec: JSON = app.openapi_schema
        return spec

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way
