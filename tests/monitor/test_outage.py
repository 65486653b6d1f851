"""A real PostgreSQL monitor database that is down at start, comes back, and is killed mid-load:
no request fails and no prediction record is lost."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient

from textops.monitor import MonitorStore
from textops.serve import create_app

pytestmark = pytest.mark.integration


def _wait_flushed(app: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while app.state.service.monitor.log.pending:
        assert time.monotonic() < deadline, (
            f"{app.state.service.monitor.log.pending} records still wait"
        )
        time.sleep(0.1)


def test_database_down_at_start_then_back(settings_for: Any, pg_server: Any) -> None:
    pg_server.stop()
    app = create_app(settings_for(monitor_db=pg_server.url))
    with TestClient(app) as c:
        for i in range(20):
            r = c.post("/v1/predict", json={"texts": [f"bank loan {i}", f"goal team {i}"]})
            assert r.status_code == 200
        time.sleep(0.5)
        metrics = c.get("/metrics").text
        assert "textops_monitor_db_up 0.0" in metrics
        assert app.state.service.monitor.log.pending == 40
        assert "textops_monitor_buffered_records 40.0" in metrics
        pg_server.start()
        _wait_flushed(app)
        # the writer marks the database up right after its flush: poll, don't race it
        deadline = time.monotonic() + 10
        while "textops_monitor_db_up 1.0" not in c.get("/metrics").text:
            assert time.monotonic() < deadline, "the database is back but db_up stays 0"
            time.sleep(0.1)
    assert MonitorStore(pg_server.url).count() == 40


def test_database_killed_mid_load_loses_nothing(settings_for: Any, pg_server: Any) -> None:
    app = create_app(settings_for(monitor_db=pg_server.url, monitor_buffer=50))
    statuses: Counter[int] = Counter()
    stop = threading.Event()
    with TestClient(app) as c:

        def load(n: int) -> None:
            i = 0
            while not stop.is_set():
                r = c.post("/v1/predict", json={"texts": [f"worker {n} text {i}"]})
                statuses[r.status_code] += 1
                i += 1

        threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        pg_server.stop("immediate")  # a crash, connections cut
        time.sleep(2.0)
        spilled_during_outage = app.state.service.monitor.log.pending
        pg_server.start()
        time.sleep(1.0)
        stop.set()
        for t in threads:
            t.join()
        _wait_flushed(app)
    assert set(statuses) == {200}, statuses
    assert spilled_during_outage > 50  # the buffer overflowed to disk during the outage
    assert MonitorStore(pg_server.url).count() == statuses[200]
