"""MiniLM's encode rate on a busy machine, as torch leaves it and as textops runs it, in one run.

"Busy" is what a search or another user's job does to a 2-core machine: a second process
encoding with MiniLM at the same time. Four measurements, each in fresh processes (OpenMP
reads its settings once, at start):

  alone, torch's defaults     threads on every core, OpenMP threads spinning while they wait
  alone, textops' settings    OMP_WAIT_POLICY=PASSIVE, threads sized to the free cores
  busy, torch's defaults      both processes with torch's defaults
  busy, textops' settings     both processes as textops runs them

Each rate is the median of --rounds timed encodes of the same TREC questions (batch 64).

Usage: python bench/busy.py [--texts 400] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

MEASURE = r"""
import os, statistics, sys, time, json
os.environ.setdefault("HF_HUB_OFFLINE", "1")
from textops.data import builtin_source
from textops.embed import make_embedder, torch_threads
texts = [r.text for r in next(builtin_source("trec").chunks(int(sys.argv[1]))) if r.text]
emb = make_embedder("minilm")
emb._encode(texts[:64])
sized = os.environ.get("BENCH_SIZED") == "1"
if sys.argv[3] == "busy":
    with torch_threads() if sized else open(os.devnull) as _:
        while True:
            emb._encode(texts[:128])
rates, threads = [], None
for _ in range(int(sys.argv[2])):
    with torch_threads() if sized else open(os.devnull) as used:
        threads = used if sized else None
        t0 = time.perf_counter()
        emb._encode(texts)
        rates.append(len(texts) / (time.perf_counter() - t0))
import torch
print(json.dumps({"texts_per_s": round(statistics.median(rates), 1),
                  "threads": threads or torch.get_num_threads()}))
"""


def _env(textops: bool) -> dict[str, str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    env.pop("OMP_WAIT_POLICY", None)
    if textops:
        env |= {"OMP_WAIT_POLICY": "PASSIVE", "BENCH_SIZED": "1"}
    return env


def _measure(texts: int, rounds: int, textops: bool, busy: bool) -> dict[str, float]:
    env = _env(textops)
    other = None
    if busy:
        other = subprocess.Popen(
            [sys.executable, "-c", MEASURE, str(texts), "1", "busy"], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(10.0)  # its model loaded and encoding
    try:
        out = subprocess.run(
            [sys.executable, "-c", MEASURE, str(texts), str(rounds), "measure"], env=env,
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        if other is not None:
            other.kill()
            other.wait()
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    runs = {
        f"{'busy' if busy else 'alone'}_{'textops' if textops else 'torch_defaults'}": _measure(
            args.texts, args.rounds, textops, busy
        )
        for busy in (False, True)
        for textops in (False, True)
    }
    rate = {k: v["texts_per_s"] for k, v in runs.items()}
    print(
        json.dumps(
            {
                "bench": "busy",
                "cpus": os.cpu_count(),
                **runs,
                "busy_vs_alone_torch_defaults": round(
                    rate["busy_torch_defaults"] / rate["alone_torch_defaults"], 3
                ),
                "busy_vs_alone_textops": round(rate["busy_textops"] / rate["alone_textops"], 3),
                "busy_textops_vs_busy_torch_defaults": round(
                    rate["busy_textops"] / rate["busy_torch_defaults"], 2
                ),
                "alone_textops_vs_alone_torch_defaults": round(
                    rate["alone_textops"] / rate["alone_torch_defaults"], 2
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
