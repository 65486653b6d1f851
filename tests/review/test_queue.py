"""The review queue: ranked by each strategy, spread over clusters, labelled from the CLI
into the monitor database as reviewed feedback."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.conftest import Registered, topic_rows
from textops.cli import app
from textops.monitor import MonitorStore, PredictionRecord
from textops.review import ReviewConfig, build_queue
from textops.track import load_classifier

LABELS = ["money", "sport", "tech"]


def _record(i: int, text: str, proba: list[float], model: str = "topics") -> PredictionRecord:
    return {
        "prediction_id": f"p{i}", "ts": 1000.0 + i, "model_name": model, "model_version": "1",
        "text_sha256": "", "text": text, "text_chars": len(text),
        "label": LABELS[int(np.argmax(proba))], "probabilities": dict(zip(LABELS, proba, strict=True)),
        "latency_ms": 1.0,
    }  # fmt: skip


@pytest.fixture(scope="module")
def champion(registered: Registered):  # type: ignore[no-untyped-def]
    clf, _ = load_classifier("models:/topics@champion", registered.tracking_uri)
    return clf


def test_uncertainty_puts_the_smallest_margin_first(champion) -> None:  # type: ignore[no-untyped-def]
    texts = [t for t, _ in topic_rows(30, seed=2)] + ["bank goal laptop", "match price chip"]
    # logged as sure: the queue ranks on the model as it is now, not on what was served
    records = [_record(i, t, [0.98, 0.01, 0.01]) for i, t in enumerate(texts)]
    cfg = ReviewConfig(uri="models:/topics@champion", n=5, strategy="uncertainty", spread="none")
    queue = build_queue(records, champion, cfg, name="topics")
    P = champion.predict_proba(texts)
    top2 = -np.sort(-P, axis=1)[:, :2]
    margins = top2[:, 0] - top2[:, 1]
    assert [i.prediction_id for i in queue.items] == [f"p{i}" for i in np.argsort(margins)[:5]]
    first = queue.items[0]
    assert first.reasons == (f"margin {margins.min():.2f}",) and queue.ranked == 32
    assert first.probabilities == pytest.approx(dict(zip(LABELS, P[int(first.prediction_id[1:])],
                                                         strict=True)), abs=1e-4)  # fmt: skip
    assert queue.labels == LABELS


def test_spread_keeps_one_complaint_from_filling_the_queue(champion) -> None:  # type: ignore[no-untyped-def]
    # the complaint repeated is the text this champion is least sure of (the queue ranks on
    # the model, and the session's champion comes from a short search)
    mixed = ["bank goal laptop", "match price chip", "loan team code", "my laptop chip broke"]

    def margins(texts: list[str]) -> np.ndarray:
        P = np.sort(champion.predict_proba(texts), axis=1)
        return P[:, -1] - P[:, -2]

    least = margins(mixed)
    complaint = mixed[int(np.argmin(least))]
    rest = [t for t, _ in topic_rows(40, seed=4)]
    rest = [t for t, m in zip(rest, margins(rest), strict=True) if m > least.min()][:12]
    assert len(rest) == 12
    same = [_record(i, complaint, [0.34, 0.33, 0.33]) for i in range(30)]
    others = [_record(100 + i, t, [0.5, 0.3, 0.2]) for i, t in enumerate(rest)]
    cfg = ReviewConfig(uri="models:/topics@champion", n=5, strategy="uncertainty")
    for how in ("copies", "clusters"):
        spread = build_queue(same + others, champion, cfg.model_copy(update={"spread": how}),
                             name="topics")  # fmt: skip
        texts = [i.text for i in spread.items]
        assert len(texts) == 5 and texts.count(same[0]["text"]) == 1, how
    plain = build_queue(same + others, champion, cfg.model_copy(update={"spread": "none"}),
                        name="topics")  # fmt: skip
    assert [i.text for i in plain.items].count(same[0]["text"]) == 5  # without: all copies


def test_disagreement_and_novelty(champion, registered: Registered) -> None:  # type: ignore[no-untyped-def]
    from textops.model import TrainingReference
    from textops.track import download_model

    texts = [t for t, _ in topic_rows(20, seed=9)] + ["zzq qqx vvw wholly unseen words"]
    proba = champion.predict_proba(texts)
    records = [_record(i, t, list(p)) for i, (t, p) in enumerate(zip(texts, proba, strict=True))]
    root = download_model("models:/topics@champion", registered.tracking_uri)
    reference = TrainingReference.load(root / "artifacts" / "classifier")
    cfg = ReviewConfig(uri="models:/topics@champion", n=3, strategy="novelty", spread="none")
    queue = build_queue(records, champion, cfg, name="topics", reference=reference)
    assert queue.items[0].text == texts[-1]  # nothing like it in training
    other, _ = load_classifier(f"models:/topics/{registered.versions[1]}", registered.tracking_uri)
    cfg = cfg.model_copy(update={"strategy": "disagreement"})
    queue = build_queue(records, champion, cfg, name="topics", challenger=other)
    theirs = other.predict_proba([i.text for i in queue.items])
    ours = champion.predict_proba([i.text for i in queue.items])
    gaps = 0.5 * np.abs(theirs - ours).sum(axis=1)
    assert list(gaps) == sorted(gaps, reverse=True) and gaps[0] > 0
    assert any(r.startswith("challenger") for r in queue.items[0].reasons)
    from textops.errors import ConfigError

    with pytest.raises(ConfigError, match="no challenger"):
        build_queue(records, champion, cfg, name="topics")  # disagreement needs one
    mixed = build_queue(records, champion, cfg.model_copy(update={"strategy": "mixed"}),
                        name="topics")  # fmt: skip
    assert mixed.items and any("challenger" in n for n in mixed.notes)


def test_cli_labels_the_queue_as_reviewed_feedback(
    champion,
    registered: Registered,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    store = MonitorStore(url)
    texts = [t for t, _ in topic_rows(8, seed=5)]
    proba = champion.predict_proba(texts)
    records = [_record(i, t, list(p)) for i, (t, p) in enumerate(zip(texts, proba, strict=True))]
    records.append({**_record(99, "not logged with its text", [0.4, 0.3, 0.3]), "text": None})
    store.write(records, [{"prediction_id": "p0", "label": "money", "ts": time.time()}])
    base = ["review", "models:/topics@champion", "--tracking-uri", registered.tracking_uri,
            "--monitor-db", url, "--strategy", "uncertainty"]  # fmt: skip
    shown = CliRunner().invoke(app, [*base, "--json"])
    assert shown.exit_code == 0, shown.output
    import json

    queue = json.loads(shown.stdout)
    ids = [i["prediction_id"] for i in queue["items"]]
    assert "p0" not in ids and "p99" not in ids and len(ids) == 7  # labelled / no text: out
    refused = CliRunner().invoke(app, [*base, "--label"])
    assert refused.exit_code == 2 and "--reviewer" in refused.output
    run = CliRunner().invoke(app, [*base, "--label", "--reviewer", "alice"],
                             input="1\ns\nsport\n9\n3\nq\n")  # fmt: skip
    assert run.exit_code == 0, run.output
    assert "3 reviewed label(s) stored" in run.output
    rows = {r.prediction_id: r for r in store.labelled_texts(model_name="topics")}
    assert rows["p0"].reviewed is False
    mine = [r for r in rows.values() if r.reviewer == "alice"]
    assert len(mine) == 3 and all(r.reviewed for r in mine)
    assert sorted(r.label for r in mine) == ["money", "sport", "tech"]
    assert {r.prediction_id for r in mine} == {ids[0], ids[2], ids[3]}
