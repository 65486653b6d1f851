"""Legitimate requests while thousands of slow clients hold connections (slowloris), against
the same service idle, in the same run.

The attacker (a process of its own) keeps ``--slow`` connections open to `textops serve`: each
sends a request line and then one header line every 5 s, never finishing its headers, and
reopens at once whenever the server closes it. Meanwhile a closed-loop load generator
(bench/_loadgen.py, 8 users, one text per request) measures the legitimate requests' p99
latency and errors; the baseline is the same load on the same service with no attacker,
measured first. The model is TF-IDF + logistic regression on TREC: the request path and
the connection layer are what is measured, not an encoder.

Usage: python bench/hostile.py [--slow 5000] [--seconds 10]
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
    """Hold ``slow`` half-sent requests open to 127.0.0.1:``port`` until ``stop``."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    async def one(i: int) -> None:
        while not stop.is_set():
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.5)
                continue
            stats["opened"] = stats.get("opened", 0) + 1
            try:
                writer.write(
                    f"POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nX-{i}: 0\r\n".encode()
                )
                while not stop.is_set():
                    await writer.drain()
                    try:  # the server closing the connection ends the read
                        if await asyncio.wait_for(reader.read(1), 5.0) == b"":
                            break
                    except TimeoutError:
                        writer.write(b"X-Slow: 1\r\n")
            except OSError:
                pass
            finally:
                writer.close()

    async def main() -> None:
        tasks = []
        for i in range(slow):
            tasks.append(asyncio.create_task(one(i)))
            if i % 500 == 499:
                await asyncio.sleep(0.05)  # open them in waves, as a script would
        while not stop.is_set():
            await asyncio.sleep(0.2)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())


def _load(url: str, texts: list[str], seconds: float) -> dict:  # type: ignore[type-arg]
    from _loadgen import drive

    return asyncio.run(drive(url, lambda t: {"texts": [t]}, texts, 8, seconds))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--slow", type=int, default=5000)
    ap.add_argument("--seconds", type=float, default=10)
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
               "--no-monitor", "--poll-seconds", "0"]  # fmt: skip
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
