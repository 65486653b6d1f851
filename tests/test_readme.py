"""The README's CLI quick start runs as written (docs that run)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from textops.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"


def _quickstart_lines() -> list[str]:
    text = README.read_text()
    block = re.search(r"<!-- quickstart.*?-->\s*```bash\n(.*?)```", text, re.S)
    assert block, "README lost its quick-start block"
    return [
        line.split("#", 1)[0].strip()
        for line in block.group(1).splitlines()
        if line.startswith("textops ")
    ]


def test_readme_quickstart_runs(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my.csv").write_text("body,queue\nmy invoice is wrong,billing\nreset pw,it\n")
    (tmp_path / "other.jsonl").write_text('{"body": "refund please", "queue": "billing"}\n')
    runner = CliRunner()
    lines = _quickstart_lines()
    assert len(lines) >= 8
    for line in lines:
        res = runner.invoke(app, shlex.split(line)[1:])
        assert res.exit_code == 0, f"{line}\n{res.output}"
    last_embed = [ln for ln in lines if ln.startswith("textops embed ") and "--json" in ln][-1]
    res = runner.invoke(app, shlex.split(last_embed)[1:])
    assert '"cache_misses": 0' in res.stdout
