"""The import contract in pyproject.toml holds: stages depend only on the stages below them
(data < embed < model < track < search < monitor < serve < cli), no package's modules
import each other in a cycle, and another package's private modules are never imported (each
stage is used through its public face)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contract_holds() -> None:
    exe = Path(sys.executable).with_name("lint-imports")
    r = subprocess.run(
        [str(exe), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "3 kept, 0 broken" in r.stdout
