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
