"""Monitoring overhead: serving throughput with prediction logging + drift on vs off (one run),
and the prediction log's flush rate into PostgreSQL.

Same model and load generator as bench/serve.py (MiniLM + logistic regression on TREC unless
--model-uri). PostgreSQL is started in a temporary folder when its binaries are installed.
Usage: python bench/monitor.py [--concurrency 32] [--duration 15] [--records 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import serve as serve_bench  # bench/serve.py: training, server, load generator

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def start_postgres(root: Path) -> tuple[str, list[str], Path] | None:
    """A throwaway PostgreSQL on 127.0.0.1; None when PostgreSQL is not installed."""
    initdb = shutil.which("initdb") or next(
        iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))), None
    )
    if initdb is None:
        return None
    bindir = Path(initdb).parent
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    root.chmod(0o755)
    if prefix:
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", serve_bench._port()
    init = [*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]
    subprocess.run(init, check=True, capture_output=True)
    ctl = [*prefix, str(bindir / "pg_ctl"), "-D", str(data)]
    opts = f"-h 127.0.0.1 -p {port} -k {root}"
    subprocess.run(
        [*ctl, "-l", str(root / "log"), "-o", opts, "-w", "start"], check=True, capture_output=True
    )
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres", autocommit=True) as c:
        c.execute("CREATE DATABASE bench")
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/bench", ctl, data


def flush_rate(url: str, n: int) -> dict[str, Any]:
    """Records/s from the in-memory buffer into the database (the writer's real path)."""
    from textops.monitor import MonitorStore, PredictionLog

    store = MonitorStore(url)
    store.ensure_schema()
    with tempfile.TemporaryDirectory() as spill:
        log = PredictionLog(store, spill_dir=Path(spill), buffer_size=n + 1)
        rows = [
            {
                "prediction_id": f"bench-{i}", "ts": time.time(), "model_name": "bench",
                "model_version": "1", "text_sha256": f"{i:064d}", "text": None, "text_chars": 40,
                "label": "a", "probabilities": {"a": 0.7, "b": 0.3}, "latency_ms": 5.0,
            }
            for i in range(n)
        ]  # fmt: skip
        log.add("p", rows)
        t = time.perf_counter()
        log.flush_once()
        seconds = time.perf_counter() - t
    assert store.count() >= n
    store.dispose()
    return {"records": n, "seconds": round(seconds, 2), "records_per_s": round(n / seconds)}


def _run_variant(
    uri: str, env: dict[str, str], texts: list[str], flags: list[str], args: Any
) -> dict[str, Any]:
    import httpx2 as httpx

    port = serve_bench._port()
    base = f"http://127.0.0.1:{port}"
    cmd = [str(serve_bench.BIN / "textops"), "serve", uri, "--port", str(port),
           "--poll-seconds", "0", "--backend", "torch", *flags]  # fmt: skip
    with serve_bench.server(cmd, env, f"{base}/readyz"):
        row = asyncio.run(serve_bench._drive(
            f"{base}/v1/predict", lambda t: {"texts": [t]}, texts, args.concurrency, args.duration
        ))  # fmt: skip
        if "--no-monitor" not in flags:
            time.sleep(1.0)
            m = httpx.get(f"{base}/metrics").text
            row["records_written"] = next(
                float(x.split()[-1]) for x in m.splitlines()
                if x.startswith("textops_monitor_written_records_total")
            )  # fmt: skip
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--duration", type=float, default=15.0)
    ap.add_argument("--records", type=int, default=50_000)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians reported")
    ap.add_argument("--model-uri")
    ap.add_argument("--home")
    args = ap.parse_args()

    from textops.data import DatasetStore

    tmp = tempfile.TemporaryDirectory()
    home = Path(args.home or tmp.name)
    uri = args.model_uri or serve_bench.train(home)
    name = uri.removeprefix("models:/").split("/")[0].split("@")[0]
    texts = DatasetStore(home).get(name).texts("test")
    env = {**os.environ, "TEXTOPS_HOME": str(home)}
    pg_root = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    pg = start_postgres(pg_root)
    out: dict[str, Any] = {"model_uri": uri, "concurrency": args.concurrency}
    variants = [("off", ["--no-monitor"]), ("sqlite", [])]
    if pg is not None:
        variants.append(("postgresql", ["--monitor-db", pg[0]]))
    try:
        runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in variants}
        for rnd in range(args.rounds):  # interleaved rounds: drift of the machine hits all alike
            for label, flags in variants:
                runs[label].append(_run_variant(uri, env, texts, flags, args))
                print(f"round {rnd + 1} monitoring {label:10} {runs[label][-1]}", flush=True)
        for label, rows in runs.items():
            rows.sort(key=lambda r: r["requests_per_s"])
            out[label] = {
                **rows[len(rows) // 2],
                "all_requests_per_s": [r["requests_per_s"] for r in rows],
            }
        if pg is not None:
            out["postgresql_flush"] = flush_rate(pg[0], args.records)
            print(f"flush into PostgreSQL: {out['postgresql_flush']}", flush=True)
    finally:
        if pg is not None:
            subprocess.run([*pg[1], "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(pg_root, ignore_errors=True)
        tmp.cleanup()
    off = out["off"]["requests_per_s"]
    out["ratios"] = {
        f"{k}_vs_off": round(out[k]["requests_per_s"] / off, 2)
        for k in ("sqlite", "postgresql")
        if k in out
    }
    print("ratios:", out["ratios"])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
