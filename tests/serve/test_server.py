"""A real uvicorn server in a subprocess on 127.0.0.1: the CLI, the contract over HTTP, a
schemathesis fuzz run against the server's own OpenAPI spec (zero server errors)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis

from tests._serving import free_port, serving
from tests.conftest import Registered

pytestmark = pytest.mark.integration


def _textops(*args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "textops", *args], capture_output=True, text=True, timeout=120, **kw
    )


@contextlib.contextmanager
def _serving(home: Path, uris: list[str], *args: str) -> Iterator[str]:
    """``textops serve`` in a subprocess on 127.0.0.1 (API key k-123, admin key k-admin)."""
    env = {**os.environ, "TEXTOPS_HOME": str(home), "TEXTOPS_TEST_KEY": "k-123",
           "TEXTOPS_TEST_ADMIN": "k-admin"}  # fmt: skip
    keys = ["--poll-seconds", "0", "--api-key-env", "TEXTOPS_TEST_KEY",
            "--admin-key-env", "TEXTOPS_TEST_ADMIN"]  # fmt: skip
    with serving([*uris, *keys, *args], env) as (url, _):
        yield url


@pytest.fixture(scope="module")
def server(registered: Registered) -> Iterator[str]:
    with _serving(
        registered.home, [f"models:/{registered.name}@champion"],
        "--tracking-uri", registered.tracking_uri, "--max-texts", "16", "--max-chars", "500",
    ) as url:  # fmt: skip
        yield url


def test_real_server_answers_the_contract(server: str, registered: Registered) -> None:
    import httpx2 as httpx

    key = {"x-api-key": "k-123"}
    assert httpx.post(f"{server}/v1/predict", json={"texts": ["x"]}).status_code == 401
    r = httpx.post(
        f"{server}/v1/predict", json={"texts": ["bank loan rate", "goal team"]}, headers=key
    )
    assert r.status_code == 200
    body = r.json()
    assert body["model"] == {"name": "topics", "version": str(registered.versions[0])}
    assert len(body["predictions"]) == 2
    as_json = {"content-type": "application/json"}
    bad = httpx.post(f"{server}/v1/predict", content=b"{nope", headers={**key, **as_json})
    assert bad.status_code == 400 and "JSON" in bad.json()["error"]
    assert (
        httpx.post(f"{server}/v1/predict", json={"texts": ["ok"]}, headers=key).status_code == 200
    )
    assert "textops_model_info" in httpx.get(f"{server}/metrics").text


def test_cli_exports_the_openapi_spec_without_a_server(
    tmp_path: Path, registered: Registered
) -> None:
    out = tmp_path / "openapi.json"
    r = _textops("serve", "models:/topics@champion", "--export-openapi", str(out))
    assert r.returncode == 0, r.stderr
    spec = json.loads(out.read_text())
    assert spec["openapi"].startswith("3.") and "/v1/predict" in spec["paths"]
    schemathesis.openapi.from_dict(spec)  # a valid OpenAPI document


def test_cli_fails_fast_on_an_unknown_model(registered: Registered) -> None:
    r = _textops(
        "serve", "models:/nope@champion", "--tracking-uri", registered.tracking_uri, "--port", "1"
    )
    assert r.returncode == 2 and "does not resolve" in r.stderr


#: what the answers must match: no 5xx, and every status, header, content type and body as
#: the OpenAPI document states it (405 with its Allow header); invalid input refused. Not
#: positive_data_acceptance: what is valid also depends on the served model's labels and
#: predictions, which a static document cannot list
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_headers_conformance,response_schema_conformance,negative_data_rejection,"
    "unsupported_method,allow_header_conformance"
)


CONFIG = Path(__file__).with_name("schemathesis.toml")


def _fuzz(url: str, tmp_path: Path, *extra: str, examples: int = 25) -> str:
    """schemathesis against the server's own /openapi.json (valid and invalid requests,
    every phase); its output, after asserting it found no failure."""
    r = subprocess.run(
        [str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(CONFIG),
         "run", f"{url}/openapi.json",
         "--checks", CHECKS, "-H", "x-api-key: k-admin", "--max-examples", str(examples),
         "--seed", "1",
         "--report", "junit", "--report-dir", str(tmp_path), *extra],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]
    assert "Authentication failed" not in r.stdout, r.stdout[-3000:]
    for report in tmp_path.glob("junit*.xml"):
        xml = report.read_text()
        assert 'failures="0"' in xml and 'errors="0"' in xml, xml[:2000]
        report.unlink()
    return r.stdout


def test_fuzzing_a_classifier_service_finds_no_error_or_mismatch(
    server: str, tmp_path: Path
) -> None:
    import re

    out = _fuzz(server, tmp_path)
    selected = re.search(r"Selected: (\d+)/(\d+)", out)
    assert selected and selected.group(1) == selected.group(2) and int(selected.group(1)) >= 10
    # bodies with lone surrogates too (JSON escapes them; no UTF-8 text holds one)
    _fuzz(server, tmp_path, "--include-method", "POST", "--generation-codec", "raw_unicode_escape",
          "--phases", "fuzzing")  # fmt: skip


def test_fuzzing_a_two_model_service(two_models: tuple[Path, str], tmp_path: Path) -> None:
    home, uri = two_models
    with _serving(
        home, ["models:/spam@champion", "models:/route@champion"], "--tracking-uri", uri
    ) as url:
        _fuzz(url, tmp_path, examples=15)


def test_fuzzing_a_generator_service(gen_home: Path, tmp_path: Path) -> None:
    from textops.track import default_tracking_uri

    with _serving(
        gen_home, ["models:/horo@champion"], "--tracking-uri", default_tracking_uri(gen_home),
        "--max-new-tokens", "8", "--max-texts", "4",
    ) as url:  # fmt: skip
        _fuzz(url, tmp_path, examples=15)


def test_a_real_prometheus_scrapes_the_service(server: str, tmp_path: Path) -> None:
    """Prometheus (the Debian package) on 127.0.0.1 scrapes `textops serve` with the
    provided deploy/prometheus.yml; a PromQL query over its HTTP API returns the counter."""
    import shutil

    import httpx2 as httpx
    import yaml

    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("Prometheus is not installed (apt-get install prometheus; .ci/run does)")
    config = yaml.safe_load((Path(__file__).parents[2] / "deploy" / "prometheus.yml").read_text())
    config["global"]["scrape_interval"] = "1s"
    config["scrape_configs"][0]["static_configs"][0]["targets"] = [server.removeprefix("http://")]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    for _ in range(3):
        httpx.post(
            f"{server}/v1/predict", json={"texts": ["goal team"]}, headers={"x-api-key": "k-123"}
        )
    port = free_port()
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    query = 'sum(textops_http_requests_total{route="/v1/predict"})'
    try:
        deadline, value = time.monotonic() + 60, None
        while time.monotonic() < deadline and not value:
            time.sleep(1)
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/v1/query", params={"query": query})
            except httpx.TransportError:
                continue
            result = r.json().get("data", {}).get("result", [])
            value = float(result[0]["value"][1]) if result else None
        assert value is not None and value >= 3, f"no scrape result for {query}"
        targets = httpx.get(f"http://127.0.0.1:{port}/api/v1/targets").json()
        assert targets["data"]["activeTargets"][0]["health"] == "up"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
