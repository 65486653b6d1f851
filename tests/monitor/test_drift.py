"""Drift tests on synthetic data, and through the service: in-distribution traffic stays
quiet, shifted traffic crosses the threshold, raises an alert and calls the webhook."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from tests.conftest import topic_rows
from textops.model import TrainingReference, build_reference
from textops.monitor._drift import drift_report
from textops.monitor._drift_types import DomainTest
from textops.serve import create_app

RNG = np.random.default_rng(0)
TRAIN = [t for t, _ in topic_rows(300)]


def _ref() -> TrainingReference:
    vecs = RNG.normal(size=(300, 16)).astype(np.float32)
    return build_reference(
        train_texts=TRAIN,
        train_vectors=vecs,
        test_texts=TRAIN[:60],
        test_pred_labels=["a", "b", "c"] * 20,
        labels=["a", "b", "c"],
    )


def test_same_distribution_is_not_drift() -> None:
    ref = _ref()
    report = drift_report(
        ref,
        labels=["a", "b", "c"] * 40,
        lengths=[len(t) for t in TRAIN[:120]],
        oov=[0.0] * 120,
        vectors=RNG.normal(size=(120, 16)).astype(np.float32),
        permutations=20,
    )
    assert report.drift is False, report
    assert set(report.tests) == {"predicted_labels", "text_length", "oov_rate", "embedding"}
    embedding = report.tests["embedding"]
    assert isinstance(embedding, DomainTest) and embedding.domain_auc < 0.7


def test_each_kind_of_shift_is_detected() -> None:
    ref = _ref()
    report = drift_report(
        ref,
        labels=["a"] * 110 + ["b"] * 10,
        lengths=[5 * len(t) for t in TRAIN[:120]],
        oov=[0.8] * 120,
        vectors=RNG.normal(loc=0.8, size=(120, 16)).astype(np.float32),
        permutations=20,
    )
    assert report.drift is True
    assert all(t.drifted for t in report.tests.values()), report.tests
    assert report.tests["predicted_labels"].score > 0.2  # PSI
    assert report.tests["embedding"].score > 0.9  # domain AUC
    # the JSON the webhook and --json give keeps each test's own statistics by name
    as_json = report.as_json()["tests"]
    assert (
        as_json["predicted_labels"]["psi"] > 0.2
        and "ks_statistic" not in as_json["predicted_labels"]
    )
    assert as_json["embedding"]["domain_auc"] > 0.9


def test_too_little_current_data_is_said_not_guessed() -> None:
    report = drift_report(_ref(), labels=["a"] * 5, lengths=[3] * 5)
    assert report.drift is False and report.note is not None and "need 30" in report.note


def test_reference_round_trips(tmp_path: Path) -> None:
    ref = _ref()
    ref.save(tmp_path)
    loaded = TrainingReference.load(tmp_path)
    assert loaded is not None and ref.vectors is not None and loaded.vectors is not None
    np.testing.assert_array_equal(loaded.vectors, ref.vectors)
    assert loaded.labels == ref.labels and loaded.vocab == ref.vocab
    assert loaded.lengths == ref.lengths and loaded.oov_rates == ref.oov_rates


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []  # noqa: RUF012

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a: Any) -> None:
        pass


def test_service_drift_alert_fires_on_shifted_traffic(settings_for: Any, tmp_path: Path) -> None:
    hook = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{hook.server_address[1]}/alert"
    settings = settings_for(
        monitor_db=f"sqlite:///{tmp_path / 'm.db'}", drift_window=200, alert_webhook=url,
        drift_seconds=0,
    )  # fmt: skip
    try:
        app = create_app(settings)
        with TestClient(app) as c:
            normal = [t for t, _ in topic_rows(150, seed=7)]
            for lo in range(0, 150, 50):
                assert (
                    c.post("/v1/predict", json={"texts": normal[lo : lo + 50]}).status_code == 200
                )
            quiet = c.get("/v1/monitor/drift", params={"refresh": "true"}).json()
            assert quiet["drift"] is False, json.dumps(quiet["tests"])
            assert quiet["model"]["version"] and quiet["n_current"] == 150
            shifted = [
                f"zxq{i} lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod "
                f"tempor incididunt ut labore {i} bank"
                for i in range(200)
            ]
            for lo in range(0, 200, 50):
                assert (
                    c.post("/v1/predict", json={"texts": shifted[lo : lo + 50]}).status_code == 200
                )
            loud = c.get("/v1/monitor/drift", params={"refresh": "true"}).json()
            assert loud["drift"] is True
            assert loud["tests"]["text_length"]["drifted"] and loud["tests"]["oov_rate"]["drifted"]
            metrics = c.get("/metrics").text
            assert 'textops_drift_detected{model="topics",test="text_length"} 1.0' in metrics
            assert "textops_drift_alerts_total 1.0" in metrics
            assert app.state.service.drift.alerts[0].tests
        for _ in range(50):
            if _Hook.received:
                break
            threading.Event().wait(0.1)
        assert _Hook.received and _Hook.received[0]["event"] == "textops.drift"
    finally:
        hook.shutdown()


def test_drift_answers_on_a_few_labels_model(tmp_path: Path) -> None:
    """The README's tickets (few labels: every row pooled, no test split) leave the drift
    reference without predicted-label counts; drift answers, it does not 500 in chi-square."""
    from fastapi.testclient import TestClient

    from textops.data import FileSource, ingest
    from textops.search import SearchConfig, run_search
    from textops.serve import ServeSettings, create_app
    from textops.track import MlflowTracker, default_tracking_uri

    home = tmp_path / "home"
    examples = Path(__file__).parents[2] / "examples"
    ingest([FileSource(examples / "tickets.csv")], "tickets", home=home)
    run_search(
        SearchConfig(dataset="tickets", embedders=("tfidf",), trials=3),
        home=home, tracker=MlflowTracker(home=home), show_progress=False,
    )  # fmt: skip
    settings = ServeSettings(
        model_uri="models:/tickets@champion", home=str(home), poll_seconds=0,
        tracking_uri=default_tracking_uri(home), drift_seconds=0,
        monitor_db=f"sqlite:///{tmp_path / 'm.db'}",
    )  # fmt: skip
    import csv

    with (examples / "tickets.csv").open(encoding="utf-8") as fh:
        texts = [row["body"] for row in csv.DictReader(fh)][:80]
    with TestClient(create_app(settings)) as c:
        for lo in range(0, 80, 20):
            r = c.post("/v1/predict", json={"texts": texts[lo : lo + 20]})
            assert r.is_success
        assert len({p["label"] for p in r.json()["predictions"]}) > 1  # a mix to compare
        r = c.get("/v1/monitor/drift", params={"refresh": "true"})
        assert r.status_code == 200, r.text
        labels = r.json()["tests"]["predicted_labels"]
        assert labels["chi2_p_value"] == 1.0 and "no predicted-label counts" in labels["note"]
