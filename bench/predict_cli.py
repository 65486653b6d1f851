"""Where the seconds of a one-text ``textops predict`` go, and what textops' skops import saves.

A TF-IDF + logistic regression champion on SMS spam, registered in a fresh home's SQLite
store; then, each --rounds times in a fresh process (the median is printed):

  interpreter          python -c pass: the floor no command goes under
  imports              scikit-learn, MLflow's SQLAlchemy store and skops, imported the way
                       textops imports them: what any predict must load before it works
  predict              textops predict models:/spam@champion "one text"
  predict, skops walk  the same, with skops.io imported first the way skops does it by
                       itself (all_estimators() imports every scikit-learn module, torch too):
                       the baseline textops' import replaces

Usage: python bench/predict_cli.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEXT = "WINNER!! You have been selected to receive a cash prize, call now to claim"
IMPORTS = (
    "import sklearn.linear_model, sklearn.feature_extraction.text; "
    "import mlflow.store.tracking.sqlalchemy_store; "
    "from textops.model._skops import _skops_io; _skops_io()"
)
WALK = "import skops.io; from textops.cli import main; main()"


def _setup(home: Path) -> None:
    from textops.data import builtin_source, ingest

    ingest([builtin_source("sms_spam")], "spam", home=home)
    res = subprocess.run(
        [sys.executable, "-m", "textops", "search", "spam", "--embedders", "tfidf", "--heads",
         "logreg", "--trials", "1", "--json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if res.returncode != 0:
        sys.exit(f"search failed: {res.stderr[-2000:]}")


def _seconds(argv: list[str], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        res = subprocess.run(argv, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - t0)
        if res.returncode != 0:
            sys.exit(f"{argv}: {res.stderr[-2000:]}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ |= {"TEXTOPS_HOME": tmp, "HF_HUB_OFFLINE": "1"}
        _setup(Path(tmp))
        predict = ["predict", "models:/spam@champion", TEXT]
        rows = {
            "interpreter": _seconds([sys.executable, "-c", "pass"], args.rounds),
            "imports": _seconds([sys.executable, "-c", IMPORTS], args.rounds),
            "predict": _seconds([sys.executable, "-m", "textops", *predict], args.rounds),
            "predict, skops walk": _seconds([sys.executable, "-c", WALK, *predict], args.rounds),
        }
    print(f"one-text textops predict, median of {args.rounds} fresh processes")
    for name, s in rows.items():
        print(f"  {name:<22} {s:6.2f} s")
    base = rows["predict, skops walk"]
    print(f"predict / predict with skops' own import: {rows['predict'] / base:.2f}x")
    print(f"predict beyond its imports: {rows['predict'] - rows['imports']:.2f} s")
    out = {k.replace(", ", "_").replace(" ", "_"): round(v, 3) for k, v in rows.items()}
    print(json.dumps({"bench": "predict_cli", "rounds": args.rounds, "seconds": out,
                      "predict_vs_skops_walk": round(rows["predict"] / base, 3)}))  # fmt: skip


if __name__ == "__main__":
    main()
