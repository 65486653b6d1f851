"""The service under hostile clients, over real sockets against ``textops serve``: slow
headers are cut off, a slow body with a wrong key is refused before it is read, idle
connections past the cap make room for a real request, an unknown Host name is refused
(DNS rebinding), and load past --max-pending is shed at once with Retry-After."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests._serving import free_port, serving

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "models" / "logreg_tfidf"
KEY = "hostile-key"


@contextmanager
def _serve(tmp_path: Path, *args: str) -> Iterator[int]:
    env = {**os.environ, "TEXTOPS_HOME": str(tmp_path / "home"), "HOSTILE_KEY": KEY}
    port = free_port()
    with serving([str(FIXTURE), "--api-key-env", "HOSTILE_KEY", "--no-monitor", *args], env,
                 port=port):  # fmt: skip
        yield port


def _predict(port: int, host: str = "127.0.0.1") -> tuple[int, dict[str, str]]:
    import httpx2 as httpx

    r = httpx.post(
        f"http://127.0.0.1:{port}/v1/predict", json={"texts": ["goal team"]},
        headers={"x-api-key": KEY, "host": f"{host}:{port}"}, timeout=10,
    )  # fmt: skip
    return r.status_code, dict(r.headers)


def _closed_within(sock: socket.socket, seconds: float, drip: bytes) -> float | None:
    """Send ``drip`` every half second until the server closes the connection; how long
    that took (None: still open after ``seconds``)."""
    t0 = time.monotonic()
    sock.settimeout(0.5)
    while time.monotonic() - t0 < seconds:
        try:
            sock.sendall(drip)
            if sock.recv(1024) == b"":
                return time.monotonic() - t0
        except TimeoutError:
            continue
        except OSError:
            return time.monotonic() - t0
    return None


def test_slow_clients_are_cut_off_and_the_key_is_read_before_the_body(tmp_path: Path) -> None:
    with _serve(tmp_path, "--header-timeout", "2", "--body-timeout", "3") as port:
        slow = socket.create_connection(("127.0.0.1", port))
        slow.sendall(b"POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        took = _closed_within(slow, 15, b"X-Slow: 1\r\n")  # one header line at a time
        assert took is not None and took < 6, took
        # a wrong key with a body that trickles in: 401 at once, the body never waited for
        body = socket.create_connection(("127.0.0.1", port))
        body.sendall(b"POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: wrong\r\n"
                     b"content-type: application/json\r\ncontent-length: 100000\r\n\r\n{")  # fmt: skip
        body.settimeout(5)
        assert body.recv(64).startswith(b"HTTP/1.1 401"), "the key must be checked first"
        # the right key and a body that never completes: cut off at the body deadline
        drip = socket.create_connection(("127.0.0.1", port))
        drip.sendall(b"POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: "
                     + KEY.encode() + b"\r\ncontent-type: application/json\r\n"
                     b"content-length: 100000\r\n\r\n{")  # fmt: skip
        took = _closed_within(drip, 20, b" ")
        assert took is not None and took < 10, took
        assert _predict(port)[0] == 200  # everyone else was served all along


def test_idle_connections_past_the_cap_make_room(tmp_path: Path) -> None:
    with _serve(tmp_path, "--max-connections", "64") as port:
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(200)]
        try:
            time.sleep(0.5)
            assert _predict(port)[0] == 200
        finally:
            for s in idle:
                s.close()


def test_an_unknown_host_name_is_refused_on_loopback(tmp_path: Path) -> None:
    """A page on evil.example that resolves to 127.0.0.1 sends Host: evil.example."""
    with _serve(tmp_path) as port:
        status, _ = _predict(port, host="evil.example")
        assert status == 400
        assert _predict(port, host="localhost")[0] == 200
        import httpx2 as httpx

        probe = httpx.get(f"http://127.0.0.1:{port}/readyz", headers={"host": "10.0.0.7:8000"})
        assert probe.status_code == 200  # an orchestrator's probe names the pod's address
    with _serve(tmp_path, "--allowed-hosts", "api.example.com") as port:
        assert _predict(port, host="api.example.com")[0] == 200
        assert _predict(port, host="127.0.0.1")[0] == 400


def test_load_past_max_pending_is_shed_at_once_with_retry_after(tmp_path: Path) -> None:
    import httpx2 as httpx

    async def burst(port: int) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            calls = [
                client.post(
                    "/v1/predict", json={"texts": ["goal team"] * 64}, headers={"x-api-key": KEY}
                )
                for _ in range(60)
            ]
            return await asyncio.gather(*calls)

    with _serve(tmp_path, "--max-pending", "2") as port:
        answers = asyncio.run(burst(port))
        codes = [r.status_code for r in answers]
        assert set(codes) <= {200, 503} and codes.count(200) >= 2, codes
        shed = [r for r in answers if r.status_code == 503]
        assert shed and all(r.headers.get("retry-after") == "1" for r in shed)
        assert "--max-pending" in shed[0].json()["error"]
        assert _predict(port)[0] == 200
        import httpx2

        metrics = httpx2.get(f"http://127.0.0.1:{port}/metrics").text
        assert f"textops_shed_requests_total {float(len(shed))}" in metrics
