"""The review queue over HTTP: who may open it (a review key, the admin key; never the API
key), and whose labels become reviewed feedback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import topic_rows
from textops.errors import ConfigError
from textops.monitor import MonitorStore
from textops.serve import create_app

API, ADMIN = {"x-api-key": "api-key-1"}, {"x-api-key": "admin-key-1"}
ALICE, BOB = {"x-api-key": "alice-key-1"}, {"x-api-key": "bob-key-12"}


@pytest.fixture
def served(
    settings_for: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, str]]:
    monkeypatch.setenv("RV_API", "api-key-1")
    monkeypatch.setenv("RV_ADMIN", "admin-key-1")
    monkeypatch.setenv("RV_REVIEWERS", "alice=alice-key-1, bob=bob-key-12")
    db = f"sqlite:///{tmp_path / 'monitor.db'}"
    settings = settings_for(api_key_env="RV_API", admin_key_env="RV_ADMIN",
                            review_keys_env="RV_REVIEWERS", monitor_db=db, log_text=True)  # fmt: skip
    with TestClient(create_app(settings)) as c:
        texts = [t for t, _ in topic_rows(12, seed=3)]
        assert c.post("/v1/predict", json={"texts": texts}, headers=API).status_code == 200
        yield c, db


def test_the_queue_opens_to_reviewers_and_admins_only(served: tuple[TestClient, str]) -> None:
    c, _ = served
    assert c.get("/v1/review", headers=API).status_code == 403
    assert c.get("/v1/review").status_code == 401
    mine = c.get("/v1/review?n=5", headers=ALICE)
    assert mine.status_code == 200
    body = mine.json()
    assert body["reviewer"] == "alice" and len(body["items"]) == 5 and body["ranked"] == 12
    margins = [float(i["reasons"][0].split()[1]) for i in body["items"]]
    assert margins == sorted(margins)  # uncertainty: the smallest margin first
    assert c.get("/v1/review", headers=ADMIN).json()["reviewer"] is None
    # a review key opens nothing an admin key does
    assert c.post("/v1/admin/reload", headers=ALICE).status_code == 403
    assert c.post("/v1/predict", json={"texts": ["bank loan"]}, headers=ALICE).status_code == 200


def test_a_review_keys_labels_are_its_reviewers(served: tuple[TestClient, str]) -> None:
    c, db = served
    items = c.get("/v1/review?n=4", headers=ALICE).json()["items"]
    ok = c.post("/v1/feedback", json={"prediction_id": items[0]["prediction_id"],
                                      "label": "money"}, headers=ALICE)  # fmt: skip
    assert ok.status_code == 200
    posing = c.post("/v1/feedback", json={"prediction_id": items[1]["prediction_id"],
                                          "label": "money", "reviewer": "bob"}, headers=ALICE)  # fmt: skip
    assert posing.status_code == 403 and "alice" in posing.json()["error"]
    by_admin = c.post("/v1/feedback", json={"prediction_id": items[2]["prediction_id"],
                                            "label": "tech", "reviewer": "carol"}, headers=ADMIN)  # fmt: skip
    assert by_admin.status_code == 200
    plain = c.post("/v1/feedback", json={"prediction_id": items[3]["prediction_id"],
                                         "label": "sport"}, headers=API)  # fmt: skip
    assert plain.status_code == 200
    rows = {r.prediction_id: r for r in MonitorStore(db).labelled_texts(model_name="topics")}
    assert (rows[items[0]["prediction_id"]].reviewer, rows[items[0]["prediction_id"]].reviewed) == (
        "alice", True)  # fmt: skip
    assert rows[items[2]["prediction_id"]].reviewer == "carol"
    assert rows[items[3]["prediction_id"]].reviewed is False
    assert items[1]["prediction_id"] not in rows
    left = c.get("/v1/review", headers=BOB).json()
    assert left["ranked"] == 9 and left["reviewer"] == "bob"  # the labelled ones are gone


@pytest.mark.parametrize("value", ["alice", "alice=short", "=nokey-1234", "a b=key-12345",
                                   "x=samekey-123,y=samekey-123", "x=api-key-1"])  # fmt: skip
def test_bad_review_keys_are_refused_at_start(
    value: str, settings_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RV_API", "api-key-1")
    monkeypatch.setenv("RV_REVIEWERS", value)
    settings = settings_for(api_key_env="RV_API", review_keys_env="RV_REVIEWERS")
    with pytest.raises(ConfigError, match="review"):
        settings.review_keys()
