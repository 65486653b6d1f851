"""Ingest a generated 1M-row CSV: rows/s and peak memory, against a plain csv-module parse.

The CSV holds realistic short texts over 5 labels with ~2% bad rows (empty, missing label,
duplicates, conflicting labels, control characters). The ingest runs in a child process so its
peak RSS is measured alone; the baseline is the same file parsed by Python's csv module with no
validation, no normalisation and nothing written, in another child process of this run. Parses
and ingests alternate; the ratio is of their medians.
Usage: python bench/ingest.py [--rows 1000000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = [
    "free",
    "win",
    "cash",
    "prize",
    "call",
    "now",
    "meeting",
    "lunch",
    "tomorrow",
    "report",
    "invoice",
    "order",
    "refund",
    "delivery",
    "account",
    "password",
    "update",
    "weather",
    "game",
    "team",
    "score",
    "market",
    "price",
    "stock",
]
LABELS = ("spam", "ham", "billing", "support", "sales")


def generate(path: Path, rows: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "label"])
        prev_text, prev_label = "first text", LABELS[0]
        for i in range(rows):
            text = " ".join(rng.choices(WORDS, k=rng.randint(4, 18))) + f" #{i}"
            label = LABELS[i % 5]
            r = rng.random()
            if r < 0.004:
                text = "   "
            elif r < 0.008:
                label = ""
            elif r < 0.011:
                text, label = prev_text, prev_label  # exact duplicate
            elif r < 0.012:
                text, label = prev_text, LABELS[(LABELS.index(prev_label) + 1) % 5]  # conflict
            elif r < 0.016:
                text += "\x07"
            w.writerow([i, text, label])
            if text.strip() and label:
                prev_text, prev_label = text, label


CHILD_INGEST = """
import json, resource, sys, time
from textops.data import FileSource, ingest
t = time.perf_counter()
ds = ingest([FileSource(sys.argv[1])], "bench", home=sys.argv[2], show_progress=False)
s = time.perf_counter() - t
m = ds.manifest
print(json.dumps({"seconds": s, "rows_read": m["rows_read"], "rows_accepted": m["rows_accepted"],
                  "rejected_by_reason": m["rejected_by_reason"],
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

CHILD_BASELINE = """
import csv, json, resource, sys, time
t = time.perf_counter()
n = 0
with open(sys.argv[1], newline="", encoding="utf-8") as fh:
    for row in csv.reader(fh):
        n += 1
s = time.perf_counter() - t
print(json.dumps({"seconds": s, "rows": n - 1,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _child(code: str, *args: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=2, help="ingests, between bare parses")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.csv"
        t = time.perf_counter()
        generate(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        print(f"generated {args.rows:,} rows ({size_mb:.0f} MB) in {time.perf_counter() - t:.1f}s")
        # interleaved (parse, ingest, parse, ingest, parse), medians: this machine's speed
        # drifts within a minute, and one short parse alone can land in a slow moment
        bases, runs = [_child(CHILD_BASELINE, str(path))], []
        for i in range(args.rounds):
            runs.append(_child(CHILD_INGEST, str(path), str(Path(tmp) / f"home{i}")))
            bases.append(_child(CHILD_BASELINE, str(path)))
    rows = int(runs[0]["rows_read"])  # type: ignore[call-overload]
    ingest_rates = sorted(rows / float(r["seconds"]) for r in runs)  # type: ignore[arg-type]
    base_rates = sorted(int(b["rows"]) / float(b["seconds"]) for b in bases)  # type: ignore[call-overload, arg-type]
    ingest_rate = statistics.median(ingest_rates)
    base_rate = statistics.median(base_rates)
    res = max(runs, key=lambda r: float(r["peak_rss_mb"]))  # type: ignore[arg-type]
    base = bases[0]
    print(f"  ingest rows/s by round {[round(r) for r in ingest_rates]}, "
          f"bare parse {[round(b) for b in base_rates]}")  # fmt: skip
    summary = {
        "rows": rows,
        "file_mb": round(size_mb),
        "ingest_seconds": round(rows / ingest_rate, 1),
        "rounds": args.rounds,
        "ingest_rows_per_s": round(ingest_rate),
        "peak_rss_mb": round(float(res["peak_rss_mb"])),  # type: ignore[arg-type]
        "baseline_csv_parse_rows_per_s": round(base_rate),
        "baseline_peak_rss_mb": round(float(base["peak_rss_mb"])),  # type: ignore[arg-type]
        "ingest_vs_bare_parse": round(ingest_rate / base_rate, 3),
        "rows_accepted": res["rows_accepted"],
        "rejected_by_reason": res["rejected_by_reason"],
    }
    print(
        f"  textops ingest : {ingest_rate:>10,.0f} rows/s, peak memory "
        f"{summary['peak_rss_mb']} MB (target < 600 MB)"
    )
    print(
        f"  bare csv parse : {base_rate:>10,.0f} rows/s, peak memory "
        f"{summary['baseline_peak_rss_mb']} MB (no validation, nothing written)"
    )
    ratio = summary["ingest_vs_bare_parse"]
    print(f"  ratio          : ingest runs at {ratio:.2f}x a bare parse (target 0.2x)")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
