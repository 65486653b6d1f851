"""The connection layer under hostile clients: header and body deadlines, a connection cap.

uvicorn closes an idle keep-alive connection, but a connection that opens and then sends its
headers a line every few seconds (slowloris) or its body a byte at a time is held as long as
the client likes: thousands of them use up the process's file descriptors and lock everyone
out. This protocol (uvicorn's httptools one, with deadlines) gives each request
``header_timeout`` seconds for its headers and ``body_timeout`` for its body, and caps open
connections: at the cap, a new connection replaces the oldest one still waiting for its
headers (a slow client's), so a legitimate client that sends its request at once gets in.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import resource
from typing import Any

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


def guarded_protocol(max_connections: int, header_timeout: float, body_timeout: float) -> Any:
    """uvicorn's httptools protocol class with deadlines and a connection cap (its h11 one,
    unguarded, when httptools is not installed)."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # pragma: no cover - httptools comes with the serve extra
        log.warning("httptools is not installed: slow clients are not cut off")
        return "h11"

    class GuardedProtocol(HttpToolsProtocol):
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._deadline: asyncio.TimerHandle | None = None
            waiting = _waiting(self.server_state)
            if len(self.connections) > max_connections:
                victim = next(iter(waiting), None)
                if victim is None:  # every connection is busy with a request: refuse this one
                    transport.close()
                    return
                victim.transport.close()
                waiting.pop(victim, None)
            self._wait_for_headers()

        def _wait_for_headers(self) -> None:
            _waiting(self.server_state)[self] = None
            self._arm(header_timeout)

        def _arm(self, seconds: float) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
            self._deadline = self.loop.call_later(seconds, self._expire)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expire(self) -> None:
            self._deadline = None
            _waiting(self.server_state).pop(self, None)
            if not self.transport.is_closing():
                self.transport.close()

        def on_headers_complete(self) -> None:
            _waiting(self.server_state).pop(self, None)
            self._arm(body_timeout)
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._disarm()
            super().on_message_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():  # kept alive: the next request's headers
                self._wait_for_headers()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            _waiting(self.server_state).pop(self, None)
            super().connection_lost(exc)

    return GuardedProtocol


def _waiting(server_state: Any) -> collections.OrderedDict[Any, None]:
    """The connections of one server waiting for a request's headers, oldest first."""
    found: collections.OrderedDict[Any, None] | None = getattr(
        server_state, "textops_waiting", None
    )
    if found is None:
        found = collections.OrderedDict()
        server_state.textops_waiting = found
    return found
