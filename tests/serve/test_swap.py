"""Hot swap: move the registry alias under load; no request fails and the new version answers."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Registered
from textops.serve import create_app
from textops.track import ModelRegistry


def test_alias_move_under_load_swaps_with_zero_failures(
    settings_for: Any, registered: Registered
) -> None:
    v1, v2 = (str(v) for v in registered.versions)
    registry = ModelRegistry(registered.tracking_uri)
    app = create_app(settings_for(poll_seconds=0.2))
    statuses: Counter[int] = Counter()
    versions: list[str] = []
    #: (sent, answered, version) per request: four client threads append in the order they
    #: are scheduled, not the order the service answered, so the order is judged by time
    timed: list[tuple[float, float, str]] = []
    stop = threading.Event()
    try:
        with TestClient(app) as c:

            def load() -> None:
                while not stop.is_set():
                    sent = time.monotonic()
                    r = c.post("/v1/predict", json={"texts": ["bank loan", "goal team"]})
                    statuses[r.status_code] += 1
                    if r.status_code == 200:
                        version = r.json()["model"]["version"]
                        versions.append(version)
                        timed.append((sent, time.monotonic(), version))

            threads = [threading.Thread(target=load) for _ in range(4)]
            for t in threads:
                t.start()
            time.sleep(0.5)
            registry.promote("topics", int(v2))
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and (not versions or versions[-1] != v2):
                time.sleep(0.05)
            time.sleep(0.3)
            stop.set()
            for t in threads:
                t.join()
            info = c.get("/v1/model").json()
            metrics = c.get("/metrics").text
    finally:
        stop.set()
        registry.promote("topics", int(v1))
    assert set(statuses) == {200}, statuses
    assert versions[0] == v1 and versions[-1] == v2
    # once the new version answered, a request sent after that never got the old one
    first_new = min(done for _, done, v in timed if v == v2)
    assert {v for sent, _, v in timed if sent > first_new} == {v2}
    assert info["version"] == v2 and info["head"] == "knn"
    assert f'version="{v2}"' in metrics and f'version="{v1}"' not in metrics
    assert "textops_model_loads_total 2.0" in metrics


def test_failed_load_keeps_the_old_model_serving(
    settings_for: Any, monkeypatch: pytest.MonkeyPatch, registered: Registered
) -> None:
    import textops.serve._swap as swap

    app = create_app(settings_for())
    with TestClient(app) as c:

        def broken(*a: Any, **k: Any) -> Any:
            raise OSError("artifact store unreachable")

        monkeypatch.setattr(swap, "load_served_model", broken)
        holder = app.state.service.holder
        swapped, detail = c.portal.call(lambda: holder.refresh(force=True))  # type: ignore[union-attr]
        assert swapped is False and "still serving version" in detail
        r = c.post("/v1/predict", json={"texts": ["bank loan"]})
        assert r.status_code == 200
        assert r.json()["model"]["version"] == str(registered.versions[0])
        metrics = c.get("/metrics").text
        assert "textops_model_load_failures_total 1.0" in metrics
        assert c.get("/readyz").status_code == 200
