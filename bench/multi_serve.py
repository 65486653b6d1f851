"""Several models in one service: each model's throughput while the other is idle, against
its own single-model service, in the same run (interleaved rounds, so machine drift hits both).

Two MiniLM + logistic-regression champions (TREC and SMS spam), so the two-model service also
shows the shared encoder: its resident memory against the two single-model services'.
Closed-loop load at concurrency 32, one text per request (bench/_loadgen.py).

Usage: python bench/multi_serve.py [--seconds 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import serve as serve_bench  # bench/serve.py: training helpers, server start, load generator

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _train(home: Path, key: str) -> str:
    from textops.data import builtin_source, ingest
    from textops.search import SearchConfig, run_search
    from textops.track import MlflowTracker

    ingest([builtin_source(key)], key, home=home)
    cfg = SearchConfig(dataset=key, embedders=("minilm",), heads=("logreg",), trials=1, cv_folds=2)
    run_search(cfg, home=home, tracker=MlflowTracker(home=home), show_progress=False)
    return f"models:/{key}@champion"


def _rss(base: str) -> float:
    import httpx2 as httpx

    text = httpx.get(f"{base}/metrics").text
    return float(re.search(r"^process_resident_memory_bytes (\S+)$", text, re.M).group(1))  # type: ignore[union-attr]


def _rate(url: str, texts: list[str], seconds: float) -> float:
    from _loadgen import drive

    row = asyncio.run(drive(url, lambda t: {"texts": [t]}, texts, 32, seconds))
    return float(row["requests_per_s"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    from textops.data import builtin_source

    texts = [r.text for r in next(builtin_source("trec").chunks(2000)) if r.text]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        uris = [_train(home, "trec"), _train(home, "sms_spam")]
        env = {**os.environ, "TEXTOPS_HOME": str(home)}
        exe = [sys.executable, "-m", "textops", "serve"]
        common = ["--no-monitor", "--poll-seconds", "0"]
        single: dict[str, list[float]] = {u: [] for u in uris}
        multi: dict[str, list[float]] = {u: [] for u in uris}
        rss: dict[str, float] = {}
        for _ in range(args.rounds):
            for uri in uris:
                port = serve_bench._port()
                base = f"http://127.0.0.1:{port}"
                with serve_bench.server(
                    [*exe, uri, "--port", str(port), *common], env, f"{base}/readyz"
                ):
                    single[uri].append(_rate(f"{base}/v1/predict", texts, args.seconds))
                    rss[uri] = _rss(base)
            port = serve_bench._port()
            base = f"http://127.0.0.1:{port}"
            with serve_bench.server(
                [*exe, *uris, "--port", str(port), *common], env, f"{base}/readyz"
            ):
                for uri in uris:
                    name = uri.removeprefix("models:/").split("@")[0]
                    multi[uri].append(
                        _rate(f"{base}/v1/models/{name}/predict", texts, args.seconds)
                    )
                rss["both"] = _rss(base)
    print(
        f"MiniLM + LR champions (TREC, SMS spam), concurrency 32, {args.rounds} interleaved rounds"
    )
    for uri in uris:
        s, m = sum(single[uri]) / len(single[uri]), sum(multi[uri]) / len(multi[uri])
        print(
            f"{uri:<28} own service {s:7.1f} req/s   in the two-model service {m:7.1f} req/s   "
            f"ratio {m / s:.2f}x (target >= 0.8x)"
        )
    mb = 1 / 2**20
    print(
        f"resident memory: two-model service {rss['both'] * mb:.0f} MB; the two single services "
        f"{rss[uris[0]] * mb:.0f} + {rss[uris[1]] * mb:.0f} MB"
    )


if __name__ == "__main__":
    main()
