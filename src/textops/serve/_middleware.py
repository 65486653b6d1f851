"""Pure-ASGI middleware: a request body size limit, and per-route request metrics."""

from __future__ import annotations

import json
import time
from collections.abc import MutableMapping
from typing import Any

from textops.serve._metrics import Children

__all__ = ["BodyLimitMiddleware", "MetricsMiddleware"]

Scope = MutableMapping[str, Any]  # ASGI's: a JSON-like mapping per request


async def _send_json(send: Any, status: int, error: str) -> None:
    body = json.dumps({"error": error, "detail": None}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """413 for a body over ``max_bytes``, by Content-Length or counted while streaming."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        msg = (
            f"the request body is over {self.max_bytes:,} bytes; send fewer or shorter texts "
            "(the server's --max-body-bytes)"
        )
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    await _send_json(send, 400, "the Content-Length header is not a number")
                    return
                if too_big:
                    await _send_json(send, 413, msg)
                    return
                # the server reads no more than the declared length: nothing left to count
                await self.app(scope, receive, send)
                return
        # a body without a length (chunked): read it up to the limit, then replay it, so the
        # app never sees an oversized body
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # client went away
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                await _send_json(send, 413, msg)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class MetricsMiddleware:
    """Requests by route template and status, and latency per route. A request answered
    before routing (a 413 from the body limit) is counted under the route it was sent to,
    found by matching ``routes`` (the app's route table)."""

    def __init__(self, app: Any, metrics: Any, routes: Any = ()) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes
        self._requests = Children(metrics.requests)
        self._latency = Children(metrics.latency)

    def _route_of(self, scope: Scope) -> str:
        route = scope.get("route")
        path = getattr(route, "path", None)
        if path:
            return str(path)
        from starlette.routing import Match

        for candidate in self.routes:
            match, _ = candidate.matches(scope)
            if match is not Match.NONE:
                return str(getattr(candidate, "path", None) or "unmatched")
        return "unmatched"

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        t0 = time.perf_counter()

        async def send_wrapper(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            path = self._route_of(scope)
            self._requests(path, scope.get("method", ""), str(status)).inc()
            self._latency(path).observe(time.perf_counter() - t0)
