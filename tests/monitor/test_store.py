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
    found = store.find_predictions(["id1", "id3", "nope"])
    assert {k: v.label for k, v in found.items()} == {"id1": "a", "id3": "a"}
    assert found["id1"].model_name == "m" and found["id1"].model_version == "1"


def test_a_stub_is_replaced_by_the_real_row_and_never_the_other_way(store: MonitorStore) -> None:
    """Feedback for a prediction whose logged row was lost stores a stub rebuilt from its
    signed id; when the real row arrives after all, it replaces the stub; a stub arriving
    after the real row changes nothing."""
    from textops.monitor._store import STUB_CHARS

    def stub(pid: str) -> dict[str, Any]:
        return {**_pred(0, "a"), "prediction_id": pid, "text_chars": STUB_CHARS,
                "text_sha256": "", "probabilities": {}, "latency_ms": None}  # fmt: skip

    fb = lambda pid: {"prediction_id": pid, "label": "b", "ts": time.time(),  # noqa: E731
                      "key_id": "key:abc", "client": "10.0.0.1"}  # fmt: skip
    store.write_durably([fb("late")], [stub("late")])
    store.write([{**_pred(1, "a"), "prediction_id": "late", "text": "the real text"}], [])
    (row,) = store.recent()
    assert row["text"] == "the real text" and row["text_chars"] == 5
    store.write([{**_pred(2, "b"), "prediction_id": "first"}], [])
    store.write_durably([fb("first")], [stub("first")])
    rows = {r["prediction_id"]: r for r in store.recent()}
    assert rows["first"]["text_chars"] == 5 and rows["first"]["label"] == "b"
    assert store.count("feedback") == 2 and store.count("predictions") == 2
    (one, _) = store.labelled_texts()
    assert one.key_id == "key:abc" and one.client == "10.0.0.1" and not one.reviewed


def test_a_database_of_an_earlier_version_gains_the_provenance_columns(tmp_path: Path) -> None:
    """A monitor database made before feedback kept its provenance: opened by this version,
    its old rows read as unreviewed, with no source, and new rows keep theirs."""
    import sqlite3

    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.executescript(
        "CREATE TABLE textops_feedback (prediction_id VARCHAR(40) PRIMARY KEY, "
        "label VARCHAR(200) NOT NULL, ts FLOAT NOT NULL);"
        "INSERT INTO textops_feedback VALUES ('id1', 'b', 1.0);"
    )
    con.commit()
    con.close()
    store = MonitorStore(f"sqlite:///{db}")
    store.write([_pred(1, "a")], [{"prediction_id": "id2", "label": "a", "ts": 2.0,
                                    "reviewed": True, "reviewer": "ana"}])  # fmt: skip
    store.write([{**_pred(2, "a"), "prediction_id": "id2"}], [])
    old, new = store.labelled_texts()
    assert (old.prediction_id, old.reviewed, old.key_id) == ("id1", False, None)
    assert (new.reviewed, new.reviewer, new.source) == (True, "ana", "reviewer:ana")


def test_reads_are_of_one_model_and_version(store: MonitorStore) -> None:
    """Two models (and two versions) in one log: each read counts its own rows only."""
    rows = [
        {**_pred(i, "a"), "prediction_id": f"{name}{version}-{i}", "model_name": name,
         "model_version": version}
        for name, version, n in (("m", "1", 3), ("m", "2", 4), ("other", "1", 5))
        for i in range(n)
    ]  # fmt: skip
    store.write(rows, [{"prediction_id": "other1-0", "label": "b", "ts": time.time()}])
    assert store.count("predictions", model_name="m") == 7
    assert store.count("predictions", model_name="m", model_version="2") == 4
    assert store.count("feedback", model_name="m") == 0
    assert store.count("feedback", model_name="other") == 1
    perf = live_performance(store, ["a", "b"], ["10"], "m", "1")
    assert perf.overall.n_predictions == 3 and perf.overall.n_feedback == 0


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
    assert perf.overall.accuracy == pytest.approx(acc, abs=1e-6)
    assert perf.overall.macro_f1 == pytest.approx(
        f1_score(y_true, y_pred, average="macro"), abs=1e-6
    )
    assert perf.overall.n_feedback == 15 and perf.overall.feedback_rate == 0.5
    last5, last_minute = perf.windows
    assert last5.n_feedback == 5 and last_minute.n_feedback == 7  # now, now-10 .. now-60
    assert perf.overall.label_coverage == 1.0


def test_windows_parse_counts_and_durations() -> None:
    assert parse_window("500") == ("count", 500)
    assert parse_window("1h") == ("time", 3600)
    assert parse_window("30m") == ("time", 1800)
    with pytest.raises(ConfigError, match="30m, 1h"):
        parse_window("soon")
