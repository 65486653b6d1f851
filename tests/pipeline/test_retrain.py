"""`textops retrain --from-feedback`: a served model's feedback becomes a new dataset version,
and the new model replaces the champion only through the gate."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.pipeline.conftest import fast
from textops.cli import app

runner = CliRunner()
KEY = {"x-api-key": "rt-key"}
ADMIN = {"x-api-key": "rt-admin"}

#: the stream drifts: each label now comes with words the champion never saw
NEW_WORDS = {
    "sport": "tennis racket volley serve umpire",
    "money": "crypto wallet coin ledger broker",
    "tech": "robot sensor drone firmware kernel",
}


def _drifted(n: int, seed: int = 3) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = list(NEW_WORDS)[i % 3]
        rows.append((" ".join(rng.sample(NEW_WORDS[label].split(), 3)) + f" ticket {i}", label))
    return rows


def _label(
    client: TestClient, rows: list[tuple[str, str]], key: dict[str, str] = KEY,
    reviewer: str | None = None,
) -> None:  # fmt: skip
    """Predict ``rows``' texts through the service, then send their labels as feedback."""
    r = client.post("/v1/predict", json={"texts": [t for t, _ in rows]}, headers=KEY)
    assert r.status_code == 200
    items = [
        {"prediction_id": p["prediction_id"], "label": lab}
        for p, (_, lab) in zip(r.json()["predictions"], rows, strict=True)
    ]
    body: dict[str, object] = {"items": items}
    if reviewer:
        body["reviewer"] = reviewer
    r = client.post("/v1/feedback", json=body, headers=key)
    assert r.status_code == 200, r.text


def _serve_and_label(home: Path, tmp_path: Path, rows: list[tuple[str, str]], monkeypatch,  # type: ignore[no-untyped-def]
                     reviewed: list[tuple[str, str]] = ()) -> str:  # fmt: skip
    from textops.serve import ServeSettings, create_app
    from textops.track import default_tracking_uri

    monkeypatch.setenv("TEXTOPS_RT_KEY", "rt-key")
    monkeypatch.setenv("TEXTOPS_RT_ADMIN", "rt-admin")
    db = f"sqlite:///{tmp_path / 'monitor.db'}"
    settings = ServeSettings(
        model_uri="models:/tickets@champion",
        home=str(home),
        tracking_uri=default_tracking_uri(home),
        poll_seconds=0,
        monitor_db=db,
        log_text=True,
        api_key_env="TEXTOPS_RT_KEY",
        admin_key_env="TEXTOPS_RT_ADMIN",
    )
    with TestClient(create_app(settings)) as client:
        _label(client, rows)
        if reviewed:
            _label(client, list(reviewed), key=ADMIN, reviewer="ana")
    return db


def test_retrain_from_feedback_makes_a_version_and_goes_through_the_gate(
    tickets: Path,
    home: Path,
    tmp_path: Path,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    sets = [a for o in fast() for a in ("--set", o)]
    res = runner.invoke(app, ["pipeline", "run", str(tickets), *sets])
    assert res.exit_code == 0, res.output
    from textops.data import DatasetStore

    before = DatasetStore(home).get("tickets")
    # a drifted stream, plus one text of the champion's train split labelled otherwise
    clash_text = before.texts("train")[0]
    clash_label = next(
        lab for lab in ("sport", "money", "tech") if lab != before.labels("train")[0]
    )
    rows = [*_drifted(60), (clash_text, clash_label)]
    db = _serve_and_label(home, tmp_path, rows, monkeypatch)

    res = runner.invoke(
        app,
        [
            "retrain",
            "models:/tickets@champion",
            "--since",
            "1d",
            "--monitor-db",
            db,
            *sets,
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["feedback_rows"] == 61 and out["feedback_without_text"] == 0
    assert (out["unreviewed_rows"], out["reviewed_rows"], out["feedback_sources"]) == (61, 0, 1)
    after = DatasetStore(home).get("tickets")
    assert out["dataset"] == f"tickets@{after.version}" and after.version != before.version
    texts = set(after.texts())
    assert all(t in texts for t, _ in _drifted(60))
    # the clashing feedback is quarantined alone: the dataset's row (and label) stays
    quarantine = [json.loads(x) for x in after.quarantine_path.read_text().splitlines()]
    clashes = [q for q in quarantine if q.get("text") == clash_text]
    assert [(q["reason"], q["label"]) for q in clashes] == [("conflicting_label", clash_label)]
    assert clash_text in texts
    # unreviewed feedback trains only: the held-out splits are the champion's own
    assert set(after.texts("test")) == set(before.texts("test"))
    assert set(after.texts("validation")) == set(before.texts("validation"))
    assert {t for t, _ in _drifted(60)} <= set(after.texts("train"))
    # registered as version 2; champion only if the gate said so
    reg = next(s for s in out["pipeline"]["stages"] if s["stage"] == "register")["outputs"]
    assert out["new_version"] == 2 and reg["promoted"] == reg["gate"]["promote"] == out["promoted"]
    assert out["gate"]["challenger_macro_f1"] == reg["gate"]["challenger_macro_f1"]
    assert out["scored_rows"] == len(after.texts("test"))
    from textops.track import ModelRegistry, default_tracking_uri

    champion = ModelRegistry(default_tracking_uri(home)).alias_version("tickets", "champion")
    assert champion == (2 if out["promoted"] else 1)


def _money_as_sport(n: int, seed: int = 9) -> list[tuple[str, str]]:
    """An attacker's feedback: texts of the money topic, labelled sport."""
    from tests.conftest import topic_rows

    money = [t for t, lab in topic_rows(3 * n, seed=seed) if lab == "money"]
    return [(f"{t} charged twice", "sport") for t in money[:n]]


def test_poisoned_feedback_never_promotes(
    tickets: Path,
    home: Path,
    tmp_path: Path,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    """120 served money texts labelled sport by one client, then a retrain under the plainest
    gate (better): the feedback trains the candidate, but the candidate is scored on the
    champion's held-out rows, where it loses; the champion stays and still says money."""
    sets = [a for o in fast() for a in ("--set", o)]
    assert runner.invoke(app, ["pipeline", "run", str(tickets), *sets]).exit_code == 0
    from textops.data import DatasetStore
    from textops.track import ModelRegistry, default_tracking_uri

    before = DatasetStore(home).get("tickets")
    poison = _money_as_sport(120)
    db = _serve_and_label(home, tmp_path, poison, monkeypatch)
    res = runner.invoke(
        app, ["retrain", "models:/tickets@champion", "--monitor-db", db, *sets,
              "--set", "gate.mode=better"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    said = res.stdout
    assert "from 1 source(s): 0 reviewed, 120 unreviewed (train only)" in said, said
    after = DatasetStore(home).get("tickets")
    assert not {t for t, _ in poison} & set(after.texts("test") + after.texts("validation"))
    assert set(after.texts("test")) == set(before.texts("test"))
    # the user sees both scores on the deciding split and the gate's decision
    scores = re.search(
        r"scored on (\d+) held-out rows .*: candidate macro-F1 ([\d.]+), champion v1 ([\d.]+)",
        said,
    )
    assert scores and int(scores[1]) == len(after.texts("test")), said
    assert float(scores[2]) < float(scores[3])
    assert "gate better: keep the champion" in said and "not promoted" in said
    assert ModelRegistry(default_tracking_uri(home)).alias_version("tickets", "champion") == 1
    from textops import load_model

    champion = load_model("models:/tickets@champion")
    assert champion.predict([t for t, _ in poison[:20]]).count("money") >= 15


def test_reviewed_feedback_may_be_held_out(
    tickets: Path,
    home: Path,
    tmp_path: Path,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    """Labels sent with the admin key and a reviewer are split like the dataset's rows (some
    score the candidate); a reviewer without the admin key is refused."""
    sets = [a for o in fast() for a in ("--set", o)]
    assert runner.invoke(app, ["pipeline", "run", str(tickets), *sets]).exit_code == 0
    from textops.data import DatasetStore

    reviewed = _drifted(60, seed=21)
    db = _serve_and_label(home, tmp_path, _drifted(30), monkeypatch, reviewed=reviewed)
    res = runner.invoke(app, ["retrain", "models:/tickets@champion", "--monitor-db", db, *sets,
                              "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert (out["reviewed_rows"], out["unreviewed_rows"], out["feedback_sources"]) == (60, 30, 2)
    after = DatasetStore(home).get("tickets")
    held_out = set(after.texts("test")) | set(after.texts("validation"))
    assert {t for t, _ in reviewed} & held_out  # the hash sent some to the held-out splits
    assert not {t for t, _ in _drifted(30)} & held_out


def test_a_refused_retrain_leaves_the_running_ones_input_alone(
    tickets: Path,
    home: Path,
    tmp_path: Path,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    """The lock is taken before the feedback file is written: a second retrain while one
    runs is refused and writes nothing."""
    sets = [a for o in fast() for a in ("--set", o)]
    assert runner.invoke(app, ["pipeline", "run", str(tickets), *sets]).exit_code == 0
    db = _serve_and_label(home, tmp_path, _drifted(12), monkeypatch)
    from textops.pipeline._run import pipeline_lock

    with pipeline_lock("tickets", home) as folder:  # a retrain running
        (folder / "feedback.jsonl").write_text("the running one's input\n")
        res = runner.invoke(app, ["retrain", "models:/tickets@champion", "--monitor-db", db])
        assert res.exit_code == 2 and "running already" in res.output
        assert (folder / "feedback.jsonl").read_text() == "the running one's input\n"


def test_retrain_without_logged_text_says_what_to_do(
    tickets: Path,
    home: Path,
    tmp_path: Path,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    sets = [a for o in fast() for a in ("--set", o)]
    assert runner.invoke(app, ["pipeline", "run", str(tickets), *sets]).exit_code == 0
    from textops.monitor import MonitorStore

    db = f"sqlite:///{tmp_path / 'm.db'}"
    store = MonitorStore(db)
    store.ensure_schema()
    store.write(
        [
            {
                "prediction_id": "p1",
                "ts": 1e9,
                "model_name": "tickets",
                "model_version": "1",
                "text_sha256": "0" * 64,
                "text": None,
                "text_chars": 3,
                "label": "sport",
                "probabilities": {},
                "latency_ms": 1.0,
            }
        ],
        [{"prediction_id": "p1", "label": "money", "ts": 1e9}],
    )
    store.dispose()
    res = runner.invoke(app, ["retrain", "models:/tickets@champion", "--monitor-db", db, *sets])
    assert res.exit_code == 2 and "--log-text" in res.output


def test_service_queues_a_real_retrain(
    tickets: Path, home: Path, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """POST /v1/retrain (what a drift alert does under --on-drift retrain) runs `textops
    retrain` in its own process; it registers version 2 from the feedback."""
    sets = [a for o in fast() for a in ("--set", o)]
    assert runner.invoke(app, ["pipeline", "run", str(tickets), *sets]).exit_code == 0
    from textops.serve import ServeSettings, create_app
    from textops.track import ModelRegistry, default_tracking_uri

    monkeypatch.setenv("TEXTOPS_RT_KEY", "rt-key")
    monkeypatch.setenv("TEXTOPS_RT_ADMIN", "rt-admin")
    uri = default_tracking_uri(home)
    common = {
        "model_uri": "models:/tickets@champion",
        "home": str(home),
        "tracking_uri": uri,
        "poll_seconds": 0,
        "monitor_db": f"sqlite:///{tmp_path / 'monitor.db'}",
        "api_key_env": "TEXTOPS_RT_KEY",
        "admin_key_env": "TEXTOPS_RT_ADMIN",
    }
    import pytest

    from textops.errors import ConfigError

    with pytest.raises(ConfigError, match="--log-text"):
        create_app(ServeSettings(**common, on_drift="retrain"))
    settings = ServeSettings(**common, log_text=True, on_drift="retrain", retrain_set=tuple(fast()))
    rows = _drifted(30)
    with TestClient(create_app(settings)) as client:
        _label(client, rows)
        # the predict key cannot start a retrain (it spawns a process)
        assert client.post("/v1/retrain", headers=KEY).status_code == 403
        r = client.post("/v1/retrain", headers=ADMIN)
        assert r.status_code == 200 and r.json()["action"] == "started", r.text
        assert client.app.state.service.retrain.wait(240)
        status = client.get("/v1/retrain", headers=ADMIN).json()
        champion = ModelRegistry(uri).alias_version("tickets", "champion")
        assert client.post("/v1/admin/reload", headers=ADMIN).status_code == 200
        served = client.get("/v1/model", headers=KEY).json()
        assert str(served["version"]) == str(champion)  # the service follows the gate's choice
    assert status["runs"][0]["returncode"] == 0, status
    versions = [v.version for v in ModelRegistry(uri).versions("tickets")]
    assert sorted(versions) == [1, 2]
