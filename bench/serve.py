"""Serving throughput and latency: textops serve vs the pipeline's own limit and two baselines.

In one run, on the same registered model (MiniLM + logistic regression unless --model-uri):
  raw     in-process predict_proba in batches of 64 (the limit) and of 1;
  textops `textops serve` (1 uvicorn worker, micro-batching), one text per request;
  naive   a FastAPI endpoint that encodes each request alone (bench/_naive_app.py);
  mlflow  `mlflow models serve --env-manager local` of the same model version.
Each server is driven by an async load generator at each concurrency for --duration seconds:
requests/s, p50 and p99 latency, errors. Ratios are against numbers measured in this run.
Usage: python bench/serve.py [--levels 1,8,32,64] [--duration 10] [--model-uri URI --home DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
warnings.filterwarnings("ignore")
BIN = Path(sys.executable).parent


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def train(home: Path) -> str:
    """A MiniLM + logistic regression champion on TREC, registered in ``home``."""
    from textops.data import builtin_source, ingest
    from textops.search import SearchConfig, run_search
    from textops.track import MlflowTracker

    ingest([builtin_source("trec")], "trec", home=home)
    cfg = SearchConfig(
        dataset="trec", embedders=("minilm",), heads=("logreg",), trials=1, cv_folds=2
    )
    report = run_search(cfg, home=home, tracker=MlflowTracker(home=home), show_progress=False)
    return f"models:/trec/{report['model_version']}"


def export(model_uri: str, home: Path) -> str:
    """int8 ONNX export of the model's encoder (fp32 when int8 fails its gate): the variant."""
    from textops.errors import QualityGateError
    from textops.serve import export_onnx
    from textops.track import default_tracking_uri

    try:
        r = export_onnx(
            model_uri, tracking_uri=default_tracking_uri(home), home=home, quantize="int8"
        )
    except QualityGateError as exc:
        print(f"  {exc}")
        r = exc.report
    print(f"  export: fp32 {r['fp32']}\n  int8 tried: {r.get('int8_tried')}", flush=True)
    return str(r.get("stored", {}).get("variant", "fp32"))


def raw(model_uri: str, tracking_uri: str, texts: list[str], backend: str) -> dict[str, float]:
    from textops.serve import load_served_model

    clf = load_served_model(model_uri, tracking_uri, backend=backend)
    clf.predict_proba(texts[:64])
    t = time.perf_counter()
    n = 0
    for i in range(0, 640, 64):
        n += len(clf.predict_proba(texts[i : i + 64]))
    batched = n / (time.perf_counter() - t)
    t = time.perf_counter()
    for text in texts[:100]:
        clf.predict_proba([text])
    single = 100 / (time.perf_counter() - t)
    return {"batch64_texts_per_s": round(batched, 1), "batch1_texts_per_s": round(single, 1)}


@contextmanager
def server(cmd: list[str], env: dict[str, str], ready_url: str) -> Iterator[None]:

    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        yield from _until_ready(proc, log, cmd, ready_url)


def _until_ready(proc: Any, log: Any, cmd: list[str], ready_url: str) -> Iterator[None]:
    import httpx2 as httpx

    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"{cmd[0]} exited: {log.read().decode()[-3000:]}")
            try:
                if httpx.get(ready_url, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{' '.join(cmd)} not ready in 180 s")
            time.sleep(0.3)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


async def _drive(
    url: str, body: Callable[[str], dict[str, Any]], texts: list[str], conc: int, seconds: float
) -> dict[str, Any]:
    import httpx2 as httpx

    lat: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=conc, max_keepalive_connections=conc)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        # warm-up: one round at this concurrency, not counted
        await asyncio.gather(*(client.post(url, json=body(texts[i])) for i in range(conc)))
        stop = time.perf_counter() + seconds
        rng = random.Random(0)

        async def user() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                try:
                    r = await client.post(url, json=body(rng.choice(texts)))
                    ok = r.status_code == 200
                except httpx.HTTPError:
                    ok = False
                if ok:
                    lat.append(time.perf_counter() - t0)
                else:
                    errors += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(user() for _ in range(conc)))
        wall = time.perf_counter() - t0
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


def load(
    url: str, body: Callable[[str], dict[str, Any]], texts: list[str], levels: list[int], s: float
) -> list[dict[str, Any]]:
    rows = []
    for c in levels:
        row = asyncio.run(_drive(url, body, texts, c, s))
        print(f"    c={c:<3} {row}", flush=True)
        rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--levels", default="1,8,32,64")
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--model-uri", help="a registered model (default: train MiniLM+LR on TREC)")
    ap.add_argument("--home", help="textops home holding --model-uri")
    ap.add_argument("--serve-args", default="", help="extra `textops serve` flags")
    ap.add_argument("--skip", default="", help="comma-separated parts to skip: onnx,naive,mlflow")
    args = ap.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    skip = set(filter(None, args.skip.split(",")))

    from textops.data import DatasetStore
    from textops.track import default_tracking_uri

    tmp = tempfile.TemporaryDirectory()
    home = Path(args.home or tmp.name)
    uri = args.model_uri or train(home)
    tracking = default_tracking_uri(home)
    name = uri.removeprefix("models:/").split("/")[0].split("@")[0]
    texts = DatasetStore(home).get(name).texts("test")
    texts = (texts * (700 // len(texts) + 1))[:700]
    env = {
        **os.environ,
        "TEXTOPS_HOME": str(home),
        "MLFLOW_TRACKING_URI": tracking,
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
        "NAIVE_MODEL_URI": uri,
        "NAIVE_TRACKING_URI": tracking,
    }
    out: dict[str, Any] = {"model_uri": uri, "cpus": os.cpu_count()}
    backends = ["torch"]
    if "onnx" not in skip:
        print("ONNX export:", flush=True)
        out["onnx_variant"] = export(uri, home)
        backends.append("onnx")
    for backend in backends:
        out[f"raw_{backend}"] = raw(uri, tracking, texts, backend)
        print(f"raw in-process ({backend}): {out[f'raw_{backend}']}", flush=True)

    port = _port()
    base = f"http://127.0.0.1:{port}"
    for backend in backends:
        print(f"textops serve --backend {backend}:", flush=True)
        cmd = [
            str(BIN / "textops"), "serve", uri, "--port", str(port), "--poll-seconds", "0",
            "--backend", backend, *args.serve_args.split(),
        ]  # fmt: skip
        with server(cmd, env, f"{base}/readyz"):
            out[f"textops_{backend}"] = load(
                f"{base}/v1/predict", lambda t: {"texts": [t]}, texts, levels, args.duration
            )
    if "naive" not in skip:
        print("naive FastAPI (encode per request):", flush=True)
        cmd = [
            str(BIN / "python"), "-m", "uvicorn", "--app-dir", str(Path(__file__).parent),
            "_naive_app:app", "--port", str(port), "--log-level", "warning",
        ]  # fmt: skip
        with server(cmd, env, f"{base}/ping"):
            out["naive"] = load(
                f"{base}/predict", lambda t: {"text": t}, texts, levels, args.duration
            )
    if "mlflow" not in skip:
        print("mlflow models serve --env-manager local:", flush=True)
        cmd = [
            str(BIN / "mlflow"), "models", "serve", "-m", uri, "--env-manager", "local",
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        ]  # fmt: skip

        def mlflow_body(t: str) -> dict[str, Any]:
            return {"dataframe_split": {"columns": ["text"], "data": [[t]]}}

        with server(cmd, env, f"{base}/ping"):
            out["mlflow"] = load(f"{base}/invocations", mlflow_body, texts, levels, args.duration)

    def at(kind: str, c: int) -> float:
        rows = out.get(kind) or []
        return next((r["requests_per_s"] for r in rows if r["concurrency"] == c), float("nan"))

    c = 32 if 32 in levels else max(levels)
    limit = out["raw_torch"]["batch64_texts_per_s"]
    ratios = {
        f"textops_c{c}_vs_raw_batch64": round(at("textops_torch", c) / limit, 2),
        f"textops_c{c}_vs_naive_c{c}": round(at("textops_torch", c) / at("naive", c), 2),
        f"textops_c{c}_vs_mlflow_c{c}": round(at("textops_torch", c) / at("mlflow", c), 2),
        f"naive_c{c}_vs_raw_batch64": round(at("naive", c) / limit, 2),
        f"mlflow_c{c}_vs_raw_batch64": round(at("mlflow", c) / limit, 2),
    }
    if "raw_onnx" in out:
        onnx_limit = out["raw_onnx"]["batch64_texts_per_s"]
        ratios[f"onnx_textops_c{c}_vs_onnx_raw_batch64"] = round(
            at("textops_onnx", c) / onnx_limit, 2
        )
        ratios[f"onnx_textops_c{c}_vs_torch_textops_c{c}"] = round(
            at("textops_onnx", c) / at("textops_torch", c), 2
        )
        ratios["onnx_raw_vs_torch_raw_batch64"] = round(onnx_limit / limit, 2)
    out["ratios"] = ratios
    kinds = ("textops_torch", "textops_onnx", "naive", "mlflow")
    out["errors_total"] = {k: sum(r["errors"] for r in out[k]) for k in kinds if k in out}
    print("ratios:", ratios)
    print(json.dumps(out))
    tmp.cleanup()


if __name__ == "__main__":
    main()
