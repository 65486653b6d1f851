"""Serving throughput and latency: textops serve vs the pipeline's own limit and two baselines.

In one run, on the same registered model (MiniLM + logistic regression unless --model-uri):
  raw     in-process predict_proba in batches of 64 (the limit) and of 1;
  textops `textops serve` (1 uvicorn worker, micro-batching), one text per request;
  naive   a FastAPI endpoint that encodes each request alone (bench/_naive_app.py);
  mlflow  `mlflow models serve --env-manager local` of the same model version.
Each server is driven by an async load generator at each concurrency for --duration seconds:
requests/s, p50 and p99 latency, errors. Ratios are against numbers measured in this run.
The headline ratios (textops at concurrency 32 vs raw batch-64, per backend) come from --rounds
interleaved rounds, raw then served, each --round-seconds long: this machine's speed drifts by
+-15% within a minute, so the limit is measured next to each served round and the ratio of the
means is reported. The server runs with OMP_WAIT_POLICY=PASSIVE (its default); the raw limit uses the same.
The request path (--skip path leaves it out): a TF-IDF + logistic-regression champion on TREC,
`textops serve` with monitoring on, against a bare FastAPI endpoint with the same request and
response shape and no model (bench/_bare_app.py), in interleaved wrk rounds at concurrency 32,
one text per request: what textops adds to every request. Needs wrk (apt-get install wrk).
Usage: python bench/serve.py [--levels 1,8,32,64] [--duration 10] [--model-uri URI --home DIR]
       python bench/serve.py --only-path [--rounds 8]    (the request path alone)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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

from textops._json import to_json

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as `textops serve` sets it
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
    report = to_json(
        run_search(cfg, home=home, tracker=MlflowTracker(home=home), show_progress=False)
    )
    return f"models:/trec/{report['model_version']}"


def train_tfidf(home: Path) -> str:
    """A TF-IDF + logistic regression champion on TREC (its own model name), in ``home``."""
    from textops.data import DatasetStore, builtin_source, ingest
    from textops.search import SearchConfig, run_search
    from textops.track import MlflowTracker

    if "trec" not in DatasetStore(home).names():
        ingest([builtin_source("trec")], "trec", home=home)
    cfg = SearchConfig(
        dataset="trec",
        embedders=("tfidf",),
        heads=("logreg",),
        trials=1,
        cv_folds=2,
        model_name="trec_tfidf",
    )
    report = run_search(cfg, home=home, tracker=MlflowTracker(home=home), show_progress=False)
    return f"models:/trec_tfidf/{report.model_version}"


_WRK_SCRIPT = """
bodies = {%s}
n = 0
request = function()
  n = n + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, bodies[n %% #bodies + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %%d, "seconds": %%f, "errors": %%d, "non2xx": %%d, '
    .. '"p50_ms": %%f, "p99_ms": %%f}\\n', summary.requests, summary.duration / 1e6,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def wrk_round(url: str, texts: list[str], conc: int, seconds: float) -> dict[str, float]:
    """One wrk run (one thread, ``conc`` connections), a text per request from ``texts``."""
    import shutil

    exe = shutil.which("wrk")
    if exe is None:
        raise RuntimeError("the request-path part needs wrk: apt-get install wrk (or --skip path)")
    bodies = ", ".join(json.dumps(json.dumps({"texts": [t]})) for t in texts[:200])
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(_WRK_SCRIPT % bodies)
    out = subprocess.run(
        [exe, "-t1", f"-c{conc}", f"-d{seconds}s", "-s", fh.name, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    row = json.loads(out.strip().splitlines()[-1])
    row["requests_per_s"] = round(row["requests"] / row["seconds"], 1)
    return row


def request_path(home: Path, texts: list[str], env: dict[str, str], rounds: int) -> dict[str, Any]:
    """textops serve (TF-IDF + LR, monitoring on) vs the bare endpoint, interleaved rounds."""
    uri = train_tfidf(home)
    from textops.track import load_model

    labels = load_model(uri, tracking_uri=env["MLFLOW_TRACKING_URI"]).labels
    p1, p2 = _port(), _port()
    served = [str(BIN / "textops"), "serve", uri, "--port", str(p1), "--poll-seconds", "0"]
    bare = [
        str(BIN / "python"), "-m", "uvicorn", "--app-dir", str(Path(__file__).parent),
        "_bare_app:app", "--port", str(p2), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    rows: dict[str, list[dict[str, float]]] = {"textops": [], "bare": []}
    bare_env = {**env, "BARE_LABELS": ",".join(labels)}
    with (
        server(served, env, f"http://127.0.0.1:{p1}/readyz"),
        server(bare, bare_env, f"http://127.0.0.1:{p2}/ping"),
    ):
        for port in (p1, p2):  # warm-up, not counted
            wrk_round(f"http://127.0.0.1:{port}/v1/predict", texts, 32, 2)
        for _ in range(rounds):
            for kind, port in (("textops", p1), ("bare", p2)):
                row = wrk_round(f"http://127.0.0.1:{port}/v1/predict", texts, 32, 4)
                rows[kind].append(row)
                print(f"    {kind:8} {row}", flush=True)
    mean = {k: sum(r["requests_per_s"] for r in v) / len(v) for k, v in rows.items()}
    out = {
        "model_uri": uri,
        "rounds": rounds,
        "textops_c32_requests_per_s": round(mean["textops"], 1),
        "bare_c32_requests_per_s": round(mean["bare"], 1),
        "ratio": round(mean["textops"] / mean["bare"], 3),
        "textops_p99_ms_worst_round": max(r["p99_ms"] for r in rows["textops"]),
        "bare_p99_ms_worst_round": max(r["p99_ms"] for r in rows["bare"]),
        "errors": sum(r["errors"] + r["non2xx"] for v in rows.values() for r in v),
    }
    print(f"  request path: {out}", flush=True)
    return out


def export(model_uri: str, home: Path) -> tuple[str, dict[str, Any]]:
    """int8 ONNX export of the model's encoder (fp32 when int8 fails its gate): the variant,
    and the stored variant's parity with torch."""
    from textops.errors import QualityGateError
    from textops.serve import export_onnx
    from textops.track import default_tracking_uri

    try:
        r = export_onnx(
            model_uri, tracking_uri=default_tracking_uri(home), home=home, quantize="int8"
        ).as_json()
    except QualityGateError as exc:
        print(f"  {exc}")
        r = exc.report
    print(f"  export: fp32 {r['fp32']}\n  int8 tried: {r.get('int8_tried')}", flush=True)
    variant = str(r.get("stored", {}).get("variant", "fp32"))
    chosen = r["fp32"]
    if variant == "int8":
        chosen = next(x for x in r["int8_tried"] if x.get("passes"))
    parity = {
        "label_agreement": chosen["label_agreement"],
        "macro_f1_loss_points": round(100 * (chosen["macro_f1_torch"] - chosen["macro_f1"]), 2),
    }
    return variant, parity


def batched_rate(clf: Any, texts: list[str], seconds: float) -> float:
    """Texts/s of in-process predict_proba in batches of 64, for at least ``seconds``."""
    t = time.perf_counter()
    n = i = 0
    while time.perf_counter() - t < seconds:
        batch = texts[i : i + 64] or texts[:64]
        i = i + 64 if i + 64 < len(texts) else 0
        n += len(clf.predict_proba(batch))
    return n / (time.perf_counter() - t)


def raw(model_uri: str, tracking_uri: str, texts: list[str], backend: str) -> dict[str, float]:
    from textops.serve import load_served_model

    clf = load_served_model(model_uri, tracking_uri, backend=backend)
    clf.predict_proba(texts[:64])
    batched = batched_rate(clf, texts, 8.0)
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
    """Closed-loop load at concurrency ``conc`` (bench/_loadgen.py: a lean keep-alive client,
    so that the generator takes as little as possible of the CPU the server runs on)."""
    from _loadgen import drive

    return await drive(url, body, texts, conc, seconds)


def load(
    url: str, body: Callable[[str], dict[str, Any]], texts: list[str], levels: list[int], s: float
) -> list[dict[str, Any]]:
    rows = []
    for c in levels:
        row = asyncio.run(_drive(url, body, texts, c, s))
        print(f"    c={c:<3} {row}", flush=True)
        rows.append(row)
    return rows


def rounds(
    uri: str, tracking: str, base: str, texts: list[str], backend: str, n: int, seconds: float
) -> dict[str, Any]:
    """Raw batch-64 and served c=32 alternately, ``n`` short rounds each: the ratio of the sums
    (each served round sits next to its own limit, so the machine's drift cancels)."""
    import resource

    import httpx2 as httpx

    from textops.serve import load_served_model

    def model_seconds() -> float:  # the server's time inside model calls, from /metrics
        text = httpx.get(f"{base}/metrics").text
        return float(
            next(
                x for x in text.splitlines() if x.startswith("textops_model_call_seconds_sum")
            ).split()[-1]
        )

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    clf = load_served_model(uri, tracking, backend=backend)
    clf.predict_proba(texts[:64])
    rows = []
    busy, client_ms = [], []
    for _ in range(n):
        limit = batched_rate(clf, texts, seconds)
        body = lambda t: {"texts": [t]}  # noqa: E731
        m0, c0, t0 = model_seconds(), cpu(), time.perf_counter()
        served = asyncio.run(_drive(f"{base}/v1/predict", body, texts, 32, seconds))
        wall, used = time.perf_counter() - t0, cpu() - c0
        busy.append((model_seconds() - m0) / wall)
        client_ms.append(1000 * used / max(served["requests_per_s"] * seconds, 1))
        rows.append((limit, served["requests_per_s"], served["errors"]))
    raw_mean = sum(r[0] for r in rows) / n
    served_mean = sum(r[1] for r in rows) / n
    out = {
        "rounds": n,
        "seconds_each": seconds,
        "raw_batch64_texts_per_s": round(raw_mean, 1),
        "served_c32_requests_per_s": round(served_mean, 1),
        "ratio": round(served_mean / raw_mean, 3),
        "round_ratios": [round(r[1] / r[0], 2) for r in rows],
        "errors": sum(r[2] for r in rows),
        # share of the served rounds' wall time the server spent inside model calls
        "model_busy": round(sum(busy) / n, 3),
        # CPU of this process (the load generator) per answered request, in ms
        "loadgen_cpu_ms_per_request": round(sum(client_ms) / n, 2),
    }
    print(f"    interleaved ({backend}): {out}", flush=True)
    return out


def only_path(rounds: int) -> None:
    """The request-path part alone, on a fresh home: its own JSON line."""
    from textops.data import DatasetStore, builtin_source, ingest
    from textops.track import default_tracking_uri

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        ingest([builtin_source("trec")], "trec", home=home)
        texts = DatasetStore(home).get("trec").texts("test")[:700]
        env = {**os.environ, "TEXTOPS_HOME": tmp, "MLFLOW_TRACKING_URI": default_tracking_uri(home),
               "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}  # fmt: skip
        out = request_path(home, texts, env, max(rounds // 2, 2))
    print(json.dumps({"bench": "serve", "request_path": out}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--levels", default="1,8,32,64")
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--model-uri", help="a registered model (default: train MiniLM+LR on TREC)")
    ap.add_argument("--home", help="textops home holding --model-uri")
    ap.add_argument("--serve-args", default="", help="extra `textops serve` flags")
    ap.add_argument("--rounds", type=int, default=8, help="interleaved raw/served rounds")
    ap.add_argument("--round-seconds", type=float, default=4.0)
    ap.add_argument(
        "--skip", default="", help="comma-separated parts to skip: onnx,naive,mlflow,path"
    )
    ap.add_argument(
        "--only-path", action="store_true",
        help="the request-path part alone (no MiniLM model trained, no other server)",
    )  # fmt: skip
    args = ap.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    skip = set(filter(None, args.skip.split(",")))
    if args.only_path:
        only_path(args.rounds)
        return

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
        out["onnx_variant"], out["onnx_report"] = export(uri, home)
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
            if args.rounds:
                out[f"interleaved_{backend}"] = rounds(
                    uri, tracking, base, texts, backend, args.rounds, args.round_seconds
                )
    if "path" not in skip:
        print("request path: TF-IDF + LR served vs a bare endpoint (wrk, c=32):", flush=True)
        out["request_path"] = request_path(home, texts, env, max(args.rounds // 2, 2))
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
        "textops_c32_vs_raw_batch64_interleaved": out.get("interleaved_torch", {}).get(
            "ratio", float("nan")
        ),
        f"textops_c{c}_vs_naive_c{c}": round(at("textops_torch", c) / at("naive", c), 2),
        f"textops_c{c}_vs_mlflow_c{c}": round(at("textops_torch", c) / at("mlflow", c), 2),
        f"naive_c{c}_vs_raw_batch64": round(at("naive", c) / limit, 2),
        f"mlflow_c{c}_vs_raw_batch64": round(at("mlflow", c) / limit, 2),
    }
    if "request_path" in out:
        ratios["tfidf_textops_c32_vs_bare_fastapi_c32"] = out["request_path"]["ratio"]
    if "raw_onnx" in out:
        onnx_limit = out["raw_onnx"]["batch64_texts_per_s"]
        ratios[f"onnx_textops_c{c}_vs_onnx_raw_batch64"] = round(
            at("textops_onnx", c) / onnx_limit, 2
        )
        ratios[f"onnx_textops_c{c}_vs_torch_textops_c{c}"] = round(
            at("textops_onnx", c) / at("textops_torch", c), 2
        )
        if "interleaved_onnx" in out:
            ratios["onnx_textops_c32_vs_onnx_raw_batch64_interleaved"] = out["interleaved_onnx"][
                "ratio"
            ]
            ratios["onnx_textops_c32_vs_torch_textops_c32_interleaved"] = round(
                out["interleaved_onnx"]["served_c32_requests_per_s"]
                / out["interleaved_torch"]["served_c32_requests_per_s"],
                2,
            )
        ratios["onnx_raw_vs_torch_raw_batch64"] = round(onnx_limit / limit, 2)
    out["ratios"] = ratios
    kinds = ("textops_torch", "textops_onnx", "naive", "mlflow")
    out["errors_total"] = {k: sum(r["errors"] for r in out[k]) for k in kinds if k in out}
    for b in backends:
        if f"interleaved_{b}" in out:
            out["errors_total"][f"interleaved_{b}"] = out[f"interleaved_{b}"]["errors"]
    print("ratios:", ratios)
    print(json.dumps(out))
    tmp.cleanup()


if __name__ == "__main__":
    main()
