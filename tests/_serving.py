"""A real ``textops serve`` in a subprocess on 127.0.0.1, for tests that need sockets (slow
clients, kill -9, a real browser, schemathesis)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

__all__ = ["free_port", "serving"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(
    args: list[str],
    env: Mapping[str, str],
    *,
    port: int | None = None,
    timeout: float = 90,
    stderr: Any = subprocess.DEVNULL,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``python -m textops serve ARGS --port PORT``, yielded once ``/readyz`` answers 200 as
    (base URL, process); terminated afterwards unless the test ended it (kill -9)."""
    import httpx2 as httpx

    port = port or free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "textops", "serve", *args, "--port", str(port)],
        env=dict(env), stdout=subprocess.DEVNULL, stderr=stderr,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"the service exited with {proc.returncode}")
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the service was not ready within {timeout:g} s")
            time.sleep(0.2)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
