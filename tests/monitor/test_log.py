"""The buffered writer: nothing blocks, nothing is lost (buffer, spill, replay)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.monitor.test_store import _pred
from textops.monitor import MonitorStore, PredictionLog


class FlakyStore:
    """A real SQLite store behind a switch that makes writes fail (a fake outage)."""

    def __init__(self, path: Path) -> None:
        self.real = MonitorStore(f"sqlite:///{path}")
        self.url = self.real.url
        self.down = False

    def write(self, preds: list[dict[str, Any]], fb: list[dict[str, Any]]) -> None:
        if self.down:
            raise ConnectionError("database down")
        self.real.write(preds, fb)


def _wait(cond: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_outage_buffers_then_spills_then_replays_everything(tmp_path: Path) -> None:
    store = FlakyStore(tmp_path / "m.db")
    store.down = True
    log = PredictionLog(store, spill_dir=tmp_path / "spill", buffer_size=50, flush_interval=0.05)
    log.start()
    t = time.perf_counter()
    for i in range(200):
        log.add("p", [_pred(i, "a")])
    assert time.perf_counter() - t < 1.0  # adding never waits for the database
    assert log.pending == 200
    assert list((tmp_path / "spill").glob("spill-*.jsonl"))  # 150 went to disk
    store.down = False
    _wait(lambda: log.pending == 0)
    assert store.real.count() == 200
    assert not list((tmp_path / "spill").iterdir())
    log.stop()


def test_stop_during_an_outage_spills_and_a_new_writer_replays(tmp_path: Path) -> None:
    store = FlakyStore(tmp_path / "m.db")
    store.down = True
    log = PredictionLog(store, spill_dir=tmp_path / "spill", flush_interval=0.05)
    log.start()
    log.add("p", [_pred(i, "a") for i in range(30)])
    log.add("f", [{"prediction_id": "id1", "label": "b", "ts": time.time()}])
    log.stop()
    assert store.real.count() == 0
    store.down = False
    again = PredictionLog(store, spill_dir=tmp_path / "spill", flush_interval=0.05)
    assert again.pending == 31  # found on disk at start
    again.start()
    _wait(lambda: again.pending == 0)
    again.stop()
    assert store.real.count() == 30 and store.real.count("feedback") == 1


def test_a_spill_is_replayed_only_into_the_database_it_was_meant_for(tmp_path: Path) -> None:
    """Two services in one home, each on its own database: what one spilled while its
    database was down never reaches the other's (the spill folder is per database)."""
    from textops.monitor import MonitorService

    home = tmp_path / "home"
    down = tmp_path / "not-yet"  # a folder that does not exist: every write fails
    first = MonitorService(url=f"sqlite:///{down / 'a.db'}", home=home, buffer_size=5)
    first.start()
    first.log.add("p", [_pred(i, "a") for i in range(12)])
    first.stop()  # the database never answered: everything spilled
    assert first.log.pending == 12
    second = MonitorService(url=f"sqlite:///{tmp_path / 'b.db'}", home=home)
    second.start()
    assert second.log.pending == 0  # not the first one's spill
    second.log.add("p", [{**_pred(100, "a"), "prediction_id": "other"}])
    assert second.log.wait_written(second.log.enqueued, 5)
    second.stop()
    assert MonitorStore(f"sqlite:///{tmp_path / 'b.db'}").count() == 1
    down.mkdir()
    again = MonitorService(url=f"sqlite:///{down / 'a.db'}", home=home)
    again.start()
    assert again.log.wait_written(again.log.enqueued, 10)
    again.stop()
    assert MonitorStore(f"sqlite:///{down / 'a.db'}").count() == 12
