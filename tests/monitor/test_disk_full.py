"""A full disk under a running service (its home on a small tmpfs, in a mount namespace of
its own): predictions keep being served, log records that nothing can store are counted and
dropped, feedback answers 503 with the reason; once space returns, reads are fast again and
feedback is stored."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "models" / "logreg_tfidf"

SCENARIO = r"""
import json, os, sys, time
from pathlib import Path
from fastapi.testclient import TestClient
from textops.serve import ServeSettings, create_app

home, model = Path(sys.argv[1]), sys.argv[2]
settings = ServeSettings(model_uri=model, home=str(home), poll_seconds=0, monitor_buffer=50,
                         log_text=True, drift_seconds=0)
out = {}
with TestClient(create_app(settings)) as c:
    pid = c.post("/v1/predict", json={"texts": ["goal team"]}).json()["predictions"][0]["prediction_id"]
    time.sleep(0.5)
    filler = home / "filler"
    with filler.open("wb") as fh:  # take every byte left
        try:
            while True:
                fh.write(b"\0" * (1 << 16))
                fh.flush()
        except OSError:
            pass
    codes = [c.post("/v1/predict", json={"texts": [f"bank loan {i}"]}).status_code
             for i in range(400)]
    out["predict"] = sorted(set(codes))
    fb = c.post("/v1/feedback", json={"prediction_id": pid, "label": "sport"})
    out["feedback_full"] = [fb.status_code, fb.json()["error"]]
    time.sleep(1.0)
    metrics = c.get("/metrics").text
    out["dropped"] = [l for l in metrics.splitlines() if l.startswith("textops_monitor_dropped_total")]
    filler.unlink()
    time.sleep(2.0)
    t0 = time.perf_counter()
    perf = c.get("/v1/monitor/performance")
    out["perf_seconds"] = time.perf_counter() - t0
    out["perf_status"] = perf.status_code
    fb = c.post("/v1/feedback", json={"prediction_id": pid, "label": "sport"})
    out["feedback_after"] = fb.status_code
    out["n_feedback"] = c.get("/v1/monitor/performance").json()["overall"]["n_feedback"]
print("RESULT " + json.dumps(out))
"""


def test_a_full_disk_never_breaks_predict(tmp_path: Path) -> None:
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"no mount namespace here: {probe.stderr.decode().strip()}")
    home = tmp_path / "home"
    home.mkdir()
    script = tmp_path / "scenario.py"
    script.write_text(SCENARIO)
    shell = (
        f"mount -t tmpfs -o size=8m tmpfs {home} && exec {sys.executable} {script} {home} {FIXTURE}"
    )
    r = subprocess.run(
        ["unshare", "-m", "sh", "-c", shell], capture_output=True, text=True, timeout=300
    )
    line = next((x for x in r.stdout.splitlines() if x.startswith("RESULT ")), None)
    assert line is not None, r.stdout[-3000:] + r.stderr[-3000:]
    out = json.loads(line.removeprefix("RESULT "))
    assert out["predict"] == [200], out
    status, error = out["feedback_full"]
    assert status == 503 and "not stored" in error, out
    dropped = float(out["dropped"][0].split()[-1])
    assert dropped > 0, out
    assert out["perf_status"] == 200 and out["perf_seconds"] < 1.0, out
    assert out["feedback_after"] == 200 and out["n_feedback"] == 1, out
