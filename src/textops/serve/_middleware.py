"""Pure-ASGI middleware: the guard in front of every route (Host names, load shedding, the
key read before the body), a request body size limit, and per-route request metrics."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from textops.errors import TextopsError
from textops.serve._errors import status_for
from textops.serve._metrics import Children, ServiceMetrics
from textops.serve._state import check_admin, check_key

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from textops.serve._state import ServiceState

__all__ = ["BodyLimitMiddleware", "GuardMiddleware", "MetricsMiddleware"]


async def _send_json(
    send: Any, status: int, error: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps({"error": error, "detail": None}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _host_name(value: bytes) -> str:
    """The name in a Host header, without its port (``[::1]:8000`` -> ``::1``)."""
    host = value.decode("latin-1").strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


#: routes only the admin key opens (the rest of /v1 takes the API key)
ADMIN_PATHS = ("/v1/admin/", "/v1/retrain")
#: liveness, readiness and metrics: answered whatever the Host (they reveal no data)
_PROBES = frozenset({"/healthz", "/readyz", "/metrics"})


class GuardMiddleware:
    """Before any route runs or any body is read: a Host header the service answers to (400
    otherwise: a DNS-rebinding page in a browser sends its own name), a bound on requests in
    progress (503 with ``Retry-After`` at once, instead of queueing into seconds of latency),
    and the key of a /v1 route (401/403 before a slow body is waited for)."""

    def __init__(self, app: ASGIApp, state: ServiceState) -> None:
        self.app = app
        self.state = state
        settings = state.settings
        # `textops serve` fills the default for where it listens (the loopback names when bound
        # to loopback); an app built directly (tests, an embedding server) takes what it is given
        given = settings.allowed_hosts
        self.hosts = None if not given or "*" in given else frozenset(h.lower() for h in given)
        self.max_pending = settings.max_pending
        self.pending = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path in _PROBES:  # an orchestrator's probes name the pod's address, not a host name
            await self.app(scope, receive, send)
            return
        host = key = None
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
            elif name == b"x-api-key":
                key = value
        if self.hosts is not None and _host_name(host or b"") not in self.hosts:
            await _send_json(
                send, 400, "this service does not answer to that Host name (see --allowed-hosts)"
            )
            return
        if not path.startswith("/v1/"):  # docs, the dashboard page: open
            await self.app(scope, receive, send)
            return
        if self.pending >= self.max_pending:
            self.state.metrics.shed.inc()
            await _send_json(
                send, 503, f"the service is at its limit of {self.max_pending} requests in "
                "progress (--max-pending); retry after the Retry-After seconds",
                [(b"retry-after", b"1")],
            )  # fmt: skip
            return
        admin = path.startswith(ADMIN_PATHS)
        if (admin or self.state.api_key is not None) and not await self._key_ok(admin, key, send):
            return
        self.pending += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.pending -= 1

    async def _key_ok(self, admin: bool, raw: bytes | None, send: Any) -> bool:
        given = None if raw is None else raw.decode("latin-1")
        try:
            if admin:
                check_admin(self.state, given)
            else:
                check_key(self.state, given)
        except TextopsError as exc:
            status = status_for(exc)
            extra = [(b"www-authenticate", b"ApiKey")] if status == 401 else []
            await _send_json(send, status, str(exc), extra)
            return False
        return True


class BodyLimitMiddleware:
    """413 for a body over ``max_bytes``, by Content-Length or counted while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
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

    def __init__(
        self, app: ASGIApp, metrics: ServiceMetrics, routes: Sequence[BaseRoute] = ()
    ) -> None:
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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        t0 = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
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
