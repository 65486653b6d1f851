"""A shared MLflow tracking server, for real: `textops tracking-server` on a PostgreSQL the
suite starts; two `textops search` processes log into it at once; the champion loads through
the server URI; `textops serve` follows the alias on it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import topic_rows

pytest.importorskip("mlflow.server")
pytest.importorskip("flask")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def tracking_server(postgres_url: str, tmp_path: Path) -> Iterator[str]:
    import httpx2 as httpx
    import psycopg

    server_db = postgres_url.rsplit("/", 1)[0] + "/mlflow_shared"
    with psycopg.connect(
        postgres_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as conn:
        conn.execute("DROP DATABASE IF EXISTS mlflow_shared")
        conn.execute("CREATE DATABASE mlflow_shared")
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "textops",
            "tracking-server",
            "--backend-store-uri",
            server_db,
            "--artifacts-destination",
            str(tmp_path / "artifacts"),
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise AssertionError(proc.stdout.read() if proc.stdout else "server exited")
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "tracking server not up within 120 s"
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_two_searches_share_one_server(tracking_server: str, home: Path) -> None:
    from textops.data import MemorySource, ingest

    ingest([MemorySource("topics", topic_rows())], "topics", home=home)
    env = {**os.environ, "TEXTOPS_HOME": str(home), "MLFLOW_TRACKING_URI": tracking_server}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "textops",
                "search",
                "topics",
                "--embedders",
                "fake",
                "--heads",
                head,
                "--trials",
                "2",
                "--cv-folds",
                "3",
                "--study",
                study,
                "--json",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for study, head in (("alpha", "logreg"), ("beta", "knn"))
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err[-3000:]
    reports = [json.loads(out.strip().splitlines()[-1]) for out, _ in outs]
    assert {r["tracking_uri"] for r in reports} == {tracking_server}
    assert sorted(r["model_version"] for r in reports) == [1, 2]

    from textops.track import ModelRegistry, load_classifier

    registry = ModelRegistry(tracking_server)
    champion = registry.alias_version("topics", "champion")
    assert champion in (1, 2)
    clf, _ = load_classifier("models:/topics@champion", tracking_server)  # over HTTP
    assert set(clf.predict(["goal team match", "bank loan rate"])) <= {"sport", "money", "tech"}

    # textops serve follows the alias on the server
    from fastapi.testclient import TestClient

    from textops.serve import ServeSettings, create_app

    settings = ServeSettings(
        model_uri="models:/topics@champion",
        tracking_uri=tracking_server,
        home=str(home),
        poll_seconds=0,
        monitor=False,
        api_key_env="TS_KEY",
        admin_key_env="TS_ADMIN",
    )
    os.environ["TS_KEY"] = "k"
    os.environ["TS_ADMIN"] = "k-admin"
    with TestClient(create_app(settings)) as client:
        assert str(client.get("/v1/model", headers={"x-api-key": "k"}).json()["version"]) == str(
            champion
        )
        other = 3 - champion
        registry.promote("topics", other)
        assert client.post("/v1/admin/reload", headers={"x-api-key": "k-admin"}).status_code == 200
        assert str(client.get("/v1/model", headers={"x-api-key": "k"}).json()["version"]) == str(
            other
        )


def test_the_ui_hint_points_at_a_server_or_at_the_local_store(tmp_path: Path) -> None:
    """A tracking server has its own UI at its URL (``mlflow ui --backend-store-uri http://``
    would not start); a local store needs ``mlflow ui``, whose package is installed here."""
    from textops.track import ui_hint

    hint = ui_hint("http://alice:s3cret@127.0.0.1:5000")
    assert hint.startswith("open http://") and "mlflow ui" not in hint and "s3cret" not in hint
    local = ui_hint(f"sqlite:///{tmp_path / 'mlflow.db'}")
    assert local.startswith("mlflow ui --backend-store-uri sqlite:///")
    assert "pip install" not in local  # the full mlflow package is in the lock
