"""The connection layer under hostile clients: header and body deadlines, a connection cap.

uvicorn closes an idle keep-alive connection, but a connection that opens and then sends its
headers a line every few seconds (slowloris) or its body a byte at a time is held as long as
the client likes: thousands of them use up the process's file descriptors and lock everyone
out. This protocol (uvicorn's httptools one, with deadlines) gives each request at most
``header_timeout`` seconds for its headers (a random share of it over half, so connections
opened together are not all cut off at once) and ``body_timeout`` for its body, and caps open
connections: at the cap, a new connection replaces the oldest one still waiting for its
headers (a slow client's), so a legitimate client that sends its request at once gets in.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import random
import resource
from typing import Any, Literal

__all__ = ["guarded_protocol", "raise_file_limit"]

log = logging.getLogger("textops.serve")

#: descriptors a worker needs beyond its connections (model files, the database, logs)
_SPARE_FDS = 256


def raise_file_limit(max_connections: int) -> int:
    """Lift the soft limit on open files toward the hard one so ``max_connections`` fit; the
    connection cap that does fit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max_connections + _SPARE_FDS
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    if want > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
            soft = want
        except (ValueError, OSError) as exc:
            log.warning("cannot raise the open-file limit to %d: %s", want, exc)
    fits = max(16, soft - _SPARE_FDS)
    if fits < max_connections:
        log.warning(
            "the open-file limit (%d) caps connections at %d, under --max-connections %d "
            "(raise it with ulimit -n)", soft, fits, max_connections,
        )  # fmt: skip
    return min(max_connections, fits)


def guarded_protocol(
    max_connections: int, header_timeout: float, body_timeout: float
) -> type[asyncio.Protocol] | Literal["h11"]:
    """uvicorn's httptools protocol class with deadlines and a connection cap (its h11 one,
    unguarded, when httptools is not installed).

    Deadlines are kept in two ordered maps per server (connections waiting for headers, and
    for a body) that one timer sweeps twice a second: a request pays two dictionary updates,
    not a timer of its own."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # pragma: no cover - httptools comes with the serve extra
        log.warning("httptools is not installed: slow clients are not cut off")
        return "h11"

    class GuardedProtocol(HttpToolsProtocol):
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            guard = _guard_of(self.server_state, self.loop)
            if len(self.connections) > max_connections:
                victim = next(iter(guard.headers), None)
                if victim is None:  # every connection is busy with a request: refuse this one
                    transport.close()
                    return
                guard.headers.pop(victim, None)
                victim.transport.close()
            self._wait_for_headers(guard)

        def _wait_for_headers(self, guard: _Guard) -> None:
            # a deadline between half and all of the timeout: thousands of slow connections
            # opened together do not all expire (and reconnect) in the same instant
            jitter = 0.5 + 0.5 * random.random()
            guard.headers[self] = self.loop.time() + header_timeout * jitter

        def on_headers_complete(self) -> None:
            guard = _guard_of(self.server_state, self.loop)
            guard.headers.pop(self, None)
            guard.bodies[self] = self.loop.time() + body_timeout
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            _guard_of(self.server_state, self.loop).bodies.pop(self, None)
            super().on_message_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():  # kept alive: the next request's headers
                self._wait_for_headers(_guard_of(self.server_state, self.loop))

        def connection_lost(self, exc: Exception | None) -> None:
            guard = _guard_of(self.server_state, self.loop)
            guard.headers.pop(self, None)
            guard.bodies.pop(self, None)
            super().connection_lost(exc)

    return GuardedProtocol


class _Guard:
    """The deadlines of one server's connections, swept by one timer."""

    SWEEP_SECONDS = 0.5

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        #: connection -> when its headers are due, oldest connection first
        self.headers: collections.OrderedDict[Any, float] = collections.OrderedDict()
        #: connection -> when its body is due
        self.bodies: dict[Any, float] = {}
        loop.call_later(self.SWEEP_SECONDS, self.sweep)

    def sweep(self) -> None:
        now = self.loop.time()
        for waiting in (self.headers, self.bodies):
            late = [conn for conn, due in waiting.items() if due <= now]
            for conn in late:
                waiting.pop(conn, None)
                if not conn.transport.is_closing():
                    conn.transport.close()
        self.loop.call_later(self.SWEEP_SECONDS, self.sweep)


def _guard_of(server_state: Any, loop: asyncio.AbstractEventLoop) -> _Guard:
    guard: _Guard | None = getattr(server_state, "textops_guard", None)
    if guard is None:
        guard = server_state.textops_guard = _Guard(loop)
    return guard
