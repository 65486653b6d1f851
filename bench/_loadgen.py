"""A lean closed-loop HTTP/1.1 load generator: one keep-alive connection per virtual user.

The benchmarks run the load generator on the same 2-core machine as the server, so its CPU is
taken from the server. httpx costs ~1.7 ms of CPU per request (0.35 cores at 200 requests/s);
this costs a fraction of that: each user writes a prepared request and parses only the status
line, the headers it needs and the body length. Every response is read in full; a non-2xx
status, a broken connection or a timeout counts as an error (and the user reconnects).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

__all__ = ["drive"]


class _Conn:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, chunked, close = None, False, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                close = True
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                data = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                parts.append(data[:-2])
            body = b"".join(parts)
        elif length is not None:
            body = await self.reader.readexactly(length)
        else:
            body = await self.reader.read()
            close = True
        if close:
            self.close()
        return status, body


async def drive(
    url: str,
    body: Callable[[str], dict[str, Any]],
    texts: list[str],
    conc: int,
    seconds: float,
    *,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """``conc`` users each send a request as soon as their last one is answered, for
    ``seconds``; requests/s, p50/p99 latency of the answered ones, errors."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path or "/"

    def prepare(text: str) -> bytes:
        payload = json.dumps(body(text)).encode()
        return (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        ).encode() + payload

    pool = [prepare(t) for t in texts]  # bodies built before the clock starts
    lat: list[float] = []
    errors = 0
    conns = [_Conn(host, port) for _ in range(conc)]
    # warm-up: one round at this concurrency, not counted
    await asyncio.gather(*(c.request(pool[i % len(pool)]) for i, c in enumerate(conns)))
    stop = time.perf_counter() + seconds

    async def user(conn: _Conn, seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            try:
                status, _ = await asyncio.wait_for(conn.request(rng.choice(pool)), timeout)
                ok = 200 <= status < 300
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
                conn.close()
                ok = False
            if ok:
                lat.append(time.perf_counter() - t0)
            else:
                errors += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(user(c, i) for i, c in enumerate(conns)))
    wall = time.perf_counter() - t0
    for c in conns:
        c.close()
    lat.sort()

    def q(p: float) -> float:
        return round(1000 * lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else float("nan")

    return {
        "concurrency": conc,
        "requests_per_s": round(len(lat) / wall, 1),
        "p50_ms": q(0.50),
        "p99_ms": q(0.99),
        "errors": errors,
    }
