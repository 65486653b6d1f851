"""The registered model also works under plain `mlflow models serve --env-manager local`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import Registered

pytestmark = pytest.mark.integration


def test_mlflow_models_serve_answers_with_the_same_labels(registered: Registered) -> None:
    import httpx2 as httpx

    from textops.track import load_classifier

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    bindir = Path(sys.executable).parent
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": registered.tracking_uri,
        "PATH": f"{bindir}:{os.environ.get('PATH', '')}",
    }
    cmd = [
        str(bindir / "mlflow"), "models", "serve", "-m", f"models:/{registered.name}/1",
        "--env-manager", "local", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    texts = ["bank loan rate price", "goal team match", "code laptop server"]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    raise AssertionError(log.read().decode()[-3000:])
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/ping", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "mlflow models serve did not start"
                time.sleep(0.3)
            body = {"dataframe_split": {"columns": ["text"], "data": [[t] for t in texts]}}
            r = httpx.post(f"http://127.0.0.1:{port}/invocations", json=body, timeout=30)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    assert r.status_code == 200, r.text
    rows = r.json()["predictions"]
    clf, _ = load_classifier(f"models:/{registered.name}/1", registered.tracking_uri)
    assert [row["label"] for row in rows] == clf.predict(texts)
