"""Legitimate requests while thousands of slow clients hold connections (slowloris), against
the same service idle, in the same run.

The attacker (a process of its own: one epoll loop, cheap on a shared machine) keeps
``--slow`` connections open to `textops serve`: each sends a request line and then one header
line every 5 s, never finishing its headers, and reopens at once whenever the server closes
it. Meanwhile a closed-loop load generator
(bench/_loadgen.py, 8 users, one text per request) measures the legitimate requests' p99
latency and errors; the baseline is the same load on the same service with no attacker,
measured first. The model is TF-IDF + logistic regression on TREC: the request path and
the connection layer are what is measured, not an encoder.

Usage: python bench/hostile.py [--slow 5000] [--seconds 20] [--serve-args "..."]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import serve as serve_bench  # bench/serve.py: training helpers, server start

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _attack(port: int, slow: int, stop: Any, stats: Any) -> None:
    """Hold ``slow`` half-sent requests open to 127.0.0.1:``port`` until ``stop``: one epoll
    loop over non-blocking sockets (the attacker should cost this shared machine little CPU),
    a header line to each every 5 s, a new connection for each one the server closes."""
    import selectors
    import socket

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sel = selectors.DefaultSelector()
    opened = 0

    def connect(i: int) -> None:
        nonlocal opened
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
        sel.register(sock, selectors.EVENT_READ, i)
        opened += 1

    def drop(sock: socket.socket) -> None:
        sel.unregister(sock)
        sock.close()

    for i in range(slow):
        connect(i)
        if i % 500 == 499:
            time.sleep(0.05)  # open them in waves, as a script would
    started: set[int] = set()
    next_drip = time.monotonic()
    while not stop.is_set():
        for key, _ in sel.select(timeout=0.2):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                data = sock.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:  # the server closed it: open another
                started.discard(key.data)
                drop(sock)
                connect(key.data)
        if time.monotonic() >= next_drip:
            next_drip += 5.0
            for key in list(sel.get_map().values()):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                line = b"X-Slow: 1\r\n"
                if key.data not in started:
                    line = f"POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nX-{key.data}: 0\r\n".encode()
                try:
                    sock.send(line)
                    started.add(key.data)
                except (BlockingIOError, OSError):
                    pass
        stats["opened"] = opened
    for key in list(sel.get_map().values()):
        drop(key.fileobj)  # type: ignore[arg-type]


def _load(url: str, texts: list[str], seconds: float) -> dict:  # type: ignore[type-arg]
    from _loadgen import drive

    return asyncio.run(drive(url, lambda t: {"texts": [t]}, texts, 8, seconds))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--slow", type=int, default=5000)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--serve-args", default="", help="extra `textops serve` flags")
    args = ap.parse_args()
    from textops.data import builtin_source

    texts = [r.text for r in next(builtin_source("trec").chunks(2000)) if r.text]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        uri = serve_bench.train_tfidf(home)
        port = serve_bench._port()
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "TEXTOPS_HOME": str(home)}
        cmd = [sys.executable, "-m", "textops", "serve", uri, "--port", str(port),
               "--no-monitor", "--poll-seconds", "0", *args.serve_args.split()]  # fmt: skip
        with serve_bench.server(cmd, env, f"{base}/readyz"):
            idle = _load(f"{base}/v1/predict", texts, args.seconds)
            manager = multiprocessing.Manager()
            stats = manager.dict()
            stop = multiprocessing.Event()
            attacker = multiprocessing.Process(target=_attack, args=(port, args.slow, stop, stats))
            attacker.start()
            time.sleep(8.0)  # the connections are open and dripping before measuring
            attacked = _load(f"{base}/v1/predict", texts, args.seconds)
            opened = int(stats.get("opened", 0))
            stop.set()
            attacker.join(timeout=30)
    ratio = attacked["p99_ms"] / idle["p99_ms"] if idle["p99_ms"] else float("nan")
    print(
        json.dumps(
            {
                "bench": "hostile",
                "slow_connections": args.slow,
                "serve_args": args.serve_args,
                "slow_connections_opened": opened,
                "idle": idle,
                "under_attack": attacked,
                "p99_ratio": round(ratio, 2),
                "legitimate_errors": attacked["errors"],
                "note": "attacker, load generator and server on one 2-core machine",
            }
        )
    )


if __name__ == "__main__":
    main()
