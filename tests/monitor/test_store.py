"""The monitor tables on SQLite and on a real PostgreSQL: idempotent writes, joins."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from textops.errors import ConfigError
from textops.monitor import MonitorStore, parse_window
from textops.monitor._performance import live_performance


def _pred(i: int, label: str) -> dict[str, Any]:
    return {
        "prediction_id": f"id{i}",
        "ts": time.time(),
        "model_name": "m",
        "model_version": "1",
        "text_sha256": "0" * 64,
        "text": None,
        "text_chars": 5,
        "label": label,
        "probabilities": {"a": 0.9, "b": 0.1},
        "latency_ms": 3.0,
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> MonitorStore:
    if request.param == "sqlite":
        return MonitorStore(f"sqlite:///{tmp_path / 'm.db'}")
    url = request.getfixturevalue("postgres_url")
    s = MonitorStore(url)
    s.ensure_schema()
    with s.engine.begin() as conn:  # the session server is shared: start empty
        conn.execute(s.feedback.delete())
        conn.execute(s.predictions.delete())
    return s


def test_replayed_writes_count_once_and_feedback_upserts(store: MonitorStore) -> None:
    preds = [_pred(i, "a" if i % 2 else "b") for i in range(10)]
    store.write(preds, [])
    store.write(preds[:5], [])  # a retried batch
    assert store.count("predictions") == 10
    fb = [{"prediction_id": "id1", "label": "a", "ts": time.time()}]
    store.write([], fb)
    store.write([], fb)  # the same feedback twice
    assert store.count("feedback") == 1
    store.write([], [{"prediction_id": "id1", "label": "b", "ts": time.time()}])  # a correction
    assert store.labelled()[0][:2] == ("a", "b")
    assert store.find_predictions(["id1", "id3", "nope"]) == {"id1": "a", "id3": "a"}


def test_live_performance_matches_a_hand_count(store: MonitorStore) -> None:
    from sklearn.metrics import f1_score

    preds = [_pred(i, "a" if i % 3 else "b") for i in range(30)]
    store.write(preds, [])
    truth = {f"id{i}": ("a" if i % 4 else "b") for i in range(0, 30, 2)}  # feedback on half
    now = time.time()
    store.write(
        [],
        [
            {"prediction_id": k, "label": v, "ts": now - 10 * n}
            for n, (k, v) in enumerate(truth.items())
        ],
    )
    perf = live_performance(store, ["a", "b"], ["5", "1m"], now=now)
    pred_of = {p["prediction_id"]: p["label"] for p in preds}
    y_true, y_pred = list(truth.values()), [pred_of[k] for k in truth]
    acc = sum(t == p for t, p in zip(y_true, y_pred, strict=True)) / len(y_true)
    assert perf["overall"]["accuracy"] == pytest.approx(acc, abs=1e-6)
    assert perf["overall"]["macro_f1"] == pytest.approx(
        f1_score(y_true, y_pred, average="macro"), abs=1e-6
    )
    assert perf["overall"]["n_feedback"] == 15 and perf["overall"]["feedback_rate"] == 0.5
    last5, last_minute = perf["windows"]
    assert last5["n_feedback"] == 5 and last_minute["n_feedback"] == 7  # now, now-10 .. now-60
    assert perf["overall"]["label_coverage"] == 1.0


def test_windows_parse_counts_and_durations() -> None:
    assert parse_window("500") == ("count", 500)
    assert parse_window("1h") == ("time", 3600)
    assert parse_window("30m") == ("time", 1800)
    with pytest.raises(ConfigError, match="30m, 1h"):
        parse_window("soon")
