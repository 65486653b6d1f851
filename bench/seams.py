"""How a search crosses textops' package seams, traced from the CLI to a registered version.

A search runs in this process under ``sys.setprofile`` (a small dataset, the fake embedder and
logistic regression, 2 trials, registered in a fresh home): every call from one textops
package into another is a crossing. Counted once per (caller, callee) pair, as the first calls
of a profile, so a loop does not count its crossing twice:

  returns to a package it had left    a call into package P when P was entered earlier, left,
                                      and is not on the stack now (the work comes back to it)
  calls back into the stack           a call into P while P is still on the stack below the
                                      caller (a lower layer calling up into its caller: a
                                      callback)

The helper modules at textops' top level (``_types``, ``errors``, ...) are no package. Building
a typed value that another package defines (a dataclass's generated ``__init__``: no code of
that package runs) is the seam's argument, not work coming back to that package: such calls
are counted apart, as ``typed values built for another package``.

Usage: python bench/seams.py [--show 10]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _package(frame: Any) -> str | None:
    name = frame.f_globals.get("__name__", "")
    parts = name.split(".")
    if parts[0] != "textops" or len(parts) < 3:
        return None  # outside textops, or a top-level helper module
    return parts[1]


class Tracer:
    def __init__(self) -> None:
        self.stack: list[str] = []  # the packages of the textops frames on the stack
        self.frames: list[bool] = []  # per frame on the profile stack: did it push a package?
        self.entered: set[str] = set()
        self.seen: set[tuple[str, str]] = set()
        self.returns: Counter[str] = Counter()
        self.callbacks: Counter[str] = Counter()
        self.values: Counter[str] = Counter()

    def __call__(self, frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            pkg = _package(frame)
            if pkg is None:
                self.frames.append(False)
                return
            caller = self.stack[-1] if self.stack else None
            if caller is not None and caller != pkg:
                code = frame.f_code
                back = frame.f_back
                where = f"{back.f_globals.get('__name__')}.{back.f_code.co_name}" if back else "?"
                pair = (where, f"{frame.f_globals.get('__name__')}.{code.co_name}")
                if pair not in self.seen:
                    self.seen.add(pair)
                    crossing = f"{caller} -> {pkg}: {pair[0]} -> {pair[1]}"
                    if code.co_filename == "<string>" and code.co_name == "__init__":
                        self.values[crossing] += 1  # a dataclass's generated __init__
                    elif pkg in self.stack:
                        self.callbacks[crossing] += 1
                    elif pkg in self.entered:
                        self.returns[crossing] += 1
            self.entered.add(pkg)
            self.stack.append(pkg)
            self.frames.append(True)
        elif event == "return" and self.frames and self.frames.pop():
            self.stack.pop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show", type=int, default=10)
    args = parser.parse_args()
    from tests.conftest import topic_rows
    from typer.testing import CliRunner

    from textops.cli import app
    from textops.data import MemorySource, ingest

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TEXTOPS_HOME"] = tmp
        ingest([MemorySource("topics", topic_rows(300))], "topics", home=tmp)
        argv = ["search", "topics", "--embedders", "fake", "--heads", "logreg", "--trials", "2",
                "--cv-folds", "3", "--json"]  # fmt: skip
        CliRunner().invoke(app, argv)  # imports and caches warm: the trace is of the work
        # a study of its own: its winner is always a new version, saved and registered (a
        # winner of the warm-up's study would be found registered and skip both)
        argv[argv.index("--trials") + 1] = "3"
        argv += ["--study", "seams-traced"]
        tracer = Tracer()
        sys.setprofile(tracer)
        try:
            res = CliRunner().invoke(app, argv)
        finally:
            sys.setprofile(None)
    if res.exit_code != 0:
        sys.exit(res.output)
    returns, callbacks = sum(tracer.returns.values()), sum(tracer.callbacks.values())
    print(f"returns to a package it had left: {returns}")
    for line in list(tracer.returns)[: args.show]:
        print("  ", line)
    print(f"calls back into a package still on the stack: {callbacks}")
    for line in list(tracer.callbacks)[: args.show]:
        print("  ", line)
    print(f"typed values built for another package: {sum(tracer.values.values())}")
    print(json.dumps({"bench": "seams", "returns_to_left_packages": returns,
                      "calls_back_into_the_stack": callbacks,
                      "typed_values_built": sum(tracer.values.values())}))  # fmt: skip


if __name__ == "__main__":
    main()
