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
