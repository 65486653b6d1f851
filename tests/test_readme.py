"""The README's quick starts run as written (docs that run): every `textops` line of the CLI
block, and the Python block, each in a fresh home with the examples/ folder next to it."""

from __future__ import annotations

import csv
import re
import shlex
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from textops.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def _block(marker: str, lang: str) -> str:
    found = re.search(rf"<!-- {marker}.*?-->\s*```{lang}\n(.*?)```", README.read_text(), re.S)
    assert found, f"README lost its {marker} block"
    return found.group(1)


@pytest.fixture
def workdir(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_readme_cli_quickstart_runs(workdir: Path) -> None:
    lines = [
        line.split("  #", 1)[0].strip()
        for line in _block("quickstart", "bash").splitlines()
        if line.startswith("textops ")
    ]
    assert len(lines) >= 6
    runner = CliRunner()
    for line in lines:
        res = runner.invoke(app, shlex.split(line)[1:])
        assert res.exit_code == 0, f"{line}\n{res.output}"
    with (workdir / "scored.csv").open(newline="") as fh:
        header = next(csv.reader(fh))
    # the input's columns kept, the prediction's added after them
    assert header[:3] == ["ticket_id", "body", "predicted_label"], header
    assert all(c.startswith("proba_") for c in header[3:]) and len(header) > 4, header
    assert (workdir / "openapi.json").is_file()
    assert "McNemar" in (workdir / "assess.html").read_text()
    # the pipeline ran twice: the second time every stage was skipped
    import json
    import os

    last = Path(os.environ["TEXTOPS_HOME"]) / "pipelines" / "tickets" / "last_run.json"
    assert {s["status"] for s in json.loads(last.read_text())["stages"]} == {"skipped", "off"}


def test_readme_python_quickstart_runs(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(_block("python quickstart", "python"), "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("tfidf ")
    assert printed[1].startswith("['") and "billing" in printed[1]
