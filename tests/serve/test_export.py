"""ONNX export of a real MiniLM model: parity gates, storage with the version, serving on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Registered, topic_rows
from textops._json import to_json
from textops.errors import ConfigError, ModelNotFoundError, QualityGateError
from textops.serve import ServeSettings, create_app, export_onnx, load_served_model
from textops.serve._export import INT8_MAX_F1_LOSS, INT8_MIN_AGREEMENT

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def minilm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registered]:
    from textops.data import MemorySource, ingest
    from textops.search import SearchConfig, run_search
    from textops.track import MlflowTracker, default_tracking_uri

    home = tmp_path_factory.mktemp("onnx-home")
    ingest([MemorySource("topics", topic_rows(240))], "topics", home=home)
    cfg = SearchConfig(
        dataset="topics", embedders=("minilm",), heads=("logreg",), trials=1, cv_folds=2
    )
    report = to_json(
        run_search(cfg, home=home, tracker=MlflowTracker(home=home), show_progress=False)
    )
    yield Registered(home, default_tracking_uri(home), "topics", (int(report["model_version"]),))


def test_serving_onnx_without_an_export_is_a_clear_error(minilm: Registered) -> None:
    with pytest.raises(ModelNotFoundError, match="textops export onnx"):
        load_served_model("models:/topics/1", minilm.tracking_uri, backend="onnx")


def test_fp32_export_matches_torch_and_serve_switches_to_it(minilm: Registered) -> None:
    report = export_onnx(
        "models:/topics@champion", tracking_uri=minilm.tracking_uri, home=minilm.home
    )
    assert report.fp32 is not None and report.stored is not None
    assert report.fp32.min_cosine >= 0.999
    assert report.fp32.label_agreement == 1.0
    assert report.stored.variant == "fp32"
    torch_model = load_served_model("models:/topics/1", minilm.tracking_uri, backend="torch")
    onnx_model = load_served_model("models:/topics/1", minilm.tracking_uri)
    assert torch_model.backend == "torch" and onnx_model.backend == "onnx-fp32"
    texts = ["bank loan rate price", "goal team match", "code laptop server"]
    np.testing.assert_allclose(
        onnx_model.predict_proba(texts), torch_model.predict_proba(texts), atol=1e-4
    )
    settings = ServeSettings(
        model_uri="models:/topics@champion",
        tracking_uri=minilm.tracking_uri,
        home=str(minilm.home),
        poll_seconds=0,
    )
    with TestClient(create_app(settings)) as c:
        assert c.get("/v1/model").json()["backend"] == "onnx-fp32"
        assert 'backend="onnx-fp32"' in c.get("/metrics").text
        assert c.post("/v1/predict", json={"texts": texts}).status_code == 200


def test_int8_is_stored_only_when_it_passes_the_gate(minilm: Registered) -> None:
    try:
        report = export_onnx(
            "models:/topics/1", tracking_uri=minilm.tracking_uri, home=minilm.home, quantize="int8"
        ).as_json()
        refused = False
    except QualityGateError as exc:
        report, refused = exc.report, True  # the error carries the same report as JSON
    tried = report["int8_tried"]
    assert tried
    for r in tried:
        loss = r["macro_f1_torch"] - r["macro_f1"]
        expected = r["label_agreement"] >= INT8_MIN_AGREEMENT and loss <= INT8_MAX_F1_LOSS + 1e-9
        assert r["passes"] == expected
    assert refused == (not any(r["passes"] for r in tried))
    assert report["stored"]["variant"] == ("fp32" if refused else "int8")
    model = load_served_model("models:/topics/1", minilm.tracking_uri)
    assert model.backend == f"onnx-{report['stored']['variant']}"


def test_only_sentence_transformer_models_export(registered: Registered) -> None:
    with pytest.raises(ConfigError, match="only sentence-transformers"):
        export_onnx("models:/topics/1", tracking_uri=registered.tracking_uri, home=registered.home)


def test_cli_export_reports_parity(minilm: Registered, tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", "textops", "export", "onnx", "models:/topics/1", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TEXTOPS_HOME": str(minilm.home)},
    )
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout)
    assert out["fp32"]["min_cosine"] >= 0.999 and out["stored"]["artifact"].startswith("runs:/")
