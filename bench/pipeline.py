"""A pipeline rerun with unchanged inputs against its first run (the same file, one process
each, as cron or Airflow would start them). The first run ingests, searches (--timeout),
assesses and registers; the rerun hashes its sources and finds every stage's inputs unchanged.

Usage: python bench/pipeline.py [--rows 3000] [--timeout 120]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _rows(n: int) -> list[tuple[str, str]]:
    from textops.data import builtin_source

    out: list[tuple[str, str]] = []
    for chunk in builtin_source("sms_spam").chunks(5000):
        out += [(r.text or "", r.label or "") for r in chunk]
    return out[:n]


def _run(path: Path, home: Path) -> tuple[float, dict]:
    env = {**os.environ, "TEXTOPS_HOME": str(home)}
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "textops", "pipeline", "run", str(path), "--json"],
                          env=env, capture_output=True, text=True, check=True)  # fmt: skip
    return time.perf_counter() - t0, json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=3000)
    ap.add_argument("--timeout", type=float, default=120)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "data").mkdir()
        with (root / "data" / "tickets.csv").open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["body", "queue"])
            w.writerows(_rows(args.rows))
        path = root / "pipeline.yaml"
        path.write_text(
            "name: tickets\n"
            "sources:\n  - {path: data/tickets.csv, text_col: body, label_col: queue}\n"
            f"search: {{timeout: {args.timeout:g}}}\n"
            "gate: {mode: significant, alpha: 0.05}\n"
            "register: {model_name: tickets}\n"
        )
        first, out1 = _run(path, root / "home")
        second, out2 = _run(path, root / "home")
    ran = [s["stage"] for s in out1["stages"] if s["status"] == "ran"]
    skipped = [s["stage"] for s in out2["stages"] if s["status"] == "skipped"]
    print(f"SMS spam, {args.rows:,} rows, search --timeout {args.timeout:g}")
    print(f"first run:  {first:7.1f} s  (ran: {', '.join(ran)})")
    print(f"rerun:      {second:7.1f} s  (skipped: {', '.join(skipped)})")
    print(f"rerun / first run = {second / first:.3f}  (target < 0.10)")


if __name__ == "__main__":
    main()
