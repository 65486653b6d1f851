"""The label audit: flipped labels found, near-duplicates that disagree, the quarantine as a
new version, the CLI and its HTML report."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import topic_rows
from textops.cli import app
from textops.data import DatasetStore, MemorySource, ingest
from textops.errors import DataFormatError
from textops.review import audit_dataset, quarantine_suspects


def _noisy(home: Path, n: int = 600, share: float = 0.1) -> tuple[object, set[str]]:
    rows = topic_rows(n)
    labels = sorted({lab for _, lab in rows})
    rng = random.Random(1)
    flipped = set(rng.sample(range(n), int(share * n)))
    noisy = [
        (t, rng.choice([x for x in labels if x != lab]) if i in flipped else lab)
        for i, (t, lab) in enumerate(rows)
    ]
    ds = ingest([MemorySource("noisy", noisy)], "noisy", home=home, show_progress=False)
    return ds, {rows[i][0] for i in flipped}


def test_the_audit_finds_flipped_labels(home: Path) -> None:
    ds, flipped = _noisy(home)
    audit = audit_dataset(ds, embedder="tfidf", home=home, show_progress=False)
    found = {s.text for s in audit.report.label_suspects}
    hits = len(found & flipped)
    # a clean label looks like its topic: most flips are found, few clean rows are accused
    assert hits >= 0.7 * len(flipped)
    assert hits >= 0.7 * len(found)
    worst = audit.report.label_suspects[0]
    assert worst.suggested != worst.given and worst.confidence > 0.5
    assert audit.report.suspects == sorted(
        audit.report.suspects, key=lambda s: (not s.label_suspect, s.label_quality)
    )
    # rows are positions in the version's data file, the text as stored there
    texts = ds.texts()
    assert all(texts[s.row] == s.text for s in audit.report.suspects)


def test_a_near_duplicate_with_another_label_is_suspect(home: Path) -> None:
    rows = topic_rows(300)
    twin_text = rows[0][0] + "!!"  # the same words: what a copy with an edit looks like
    other = next(lab for _, lab in rows if lab != rows[0][1])
    ds = ingest([MemorySource("t", [*rows, (twin_text, other)])], "t", home=home,
                show_progress=False)  # fmt: skip
    audit = audit_dataset(ds, embedder="tfidf", home=home, show_progress=False)
    dup = [s for s in audit.report.suspects if "near_duplicate" in s.signals]
    assert [s.text for s in dup] == [twin_text]  # the label the held-out head believes less
    assert dup[0].twin is not None and audit.report.suspects[0].given
    assert audit.report.by_signal["near_duplicate"] == 1


def test_quarantine_makes_a_new_version_and_keeps_the_old(home: Path) -> None:
    ds, _ = _noisy(home)
    audit = audit_dataset(ds, split="train", embedder="tfidf", home=home, show_progress=False)
    suspects = audit.report.label_suspects
    new = quarantine_suspects(audit, home=home)
    assert new.version != ds.version
    assert DatasetStore(home).get("noisy").version == new.version  # the latest
    assert DatasetStore(home).get("noisy", ds.version).texts() == ds.texts()  # kept as it was
    m = new.manifest
    assert m["rows_accepted"] == ds.manifest["rows_accepted"] - len(suspects)
    assert m["rejected_by_reason"]["suspect_label"] == len(suspects)
    assert m["parent"] == {"version": ds.version, "fingerprint": ds.fingerprint}
    assert sum(m["labels"].values()) == len(new.texts())
    moved = [json.loads(x) for x in new.quarantine_path.read_text().splitlines()]
    mine = [r for r in moved if r["reason"] == "suspect_label"]
    assert {r["text"] for r in mine} == {s.text for s in suspects}
    assert all("suggested" in r["detail"] for r in mine)
    assert not {s.text for s in suspects} & set(new.texts())
    # rows keep their split: the test split is untouched by a train-only audit
    assert new.texts("test") == ds.texts("test")
    assert m["splits"]["train"]["rows"] == ds.manifest["splits"]["train"]["rows"] - len(suspects)


def test_a_corpus_without_labels_is_refused(home: Path) -> None:
    from textops.data import IngestConfig

    corpus = [(f"a text to write number {i}", "") for i in range(40)]
    ds = ingest([MemorySource("c", corpus)], "c", IngestConfig(task="generation"), home=home,
                show_progress=False)  # fmt: skip
    with pytest.raises(DataFormatError, match="no"):
        audit_dataset(ds, home=home)


def test_cli_audit_quarantine_and_a_safe_html_report(home: Path) -> None:
    rows = topic_rows(300)
    # flipped to the one topic none of its words is from (a text holds one word of the next)
    rows[5] = ("<script>alert(1)</script> " + rows[5][0], rows[7][1])
    rng = random.Random(0)
    for i in rng.sample(range(10, 300), 30):
        rows[i] = (rows[i][0], rows[i + 1 if i < 299 else 0][1])
    ingest([MemorySource("t", rows)], "t", home=home, show_progress=False)
    run = CliRunner().invoke(
        app, ["data", "audit", "t", "--embedder", "tfidf", "--quarantine", "--json"]
    )
    assert run.exit_code == 0, run.output
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["label_suspects"] >= 1 and out["quarantined_version"]
    page = Path(out["report"]).read_text("utf-8")
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)" in page
    assert any(x["text"].startswith("<script>") for x in out["suspects"])
    assert DatasetStore(home).get("t").version == out["quarantined_version"]
    table = CliRunner().invoke(app, ["data", "audit", "t", "--embedder", "tfidf", "--top", "3"])
    assert table.exit_code == 0 and "suspect labels" in table.output
    bad = CliRunner().invoke(app, ["data", "audit", "t", "--filter-by", "vibes"])
    assert bad.exit_code != 0


def test_cli_review_relabels_and_quarantines_the_unanswered(home: Path) -> None:
    ds, _ = _noisy(home)
    first = audit_dataset(ds, split="train", embedder="tfidf", home=home, show_progress=False)
    suspects = first.report.label_suspects
    classes = first.report.classes
    fix = str(classes.index(suspects[0].suggested) + 1)  # the first: the suggested label
    keep = str(classes.index(suspects[1].given) + 1)  # the second: its label confirmed
    args = ["data", "audit", "noisy", "--split", "train", "--embedder", "tfidf", "--review"]
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 2 and "--reviewer" in refused.output
    run = CliRunner().invoke(app, [*args, "--reviewer", "bob", "--quarantine"],
                             input=f"{fix}\n{keep}\ns\nq\n")  # fmt: skip
    assert run.exit_code == 0, run.output
    assert "3 suspect(s) reviewed by bob: 1 relabelled" in run.output
    new = DatasetStore(home).get("noisy")
    assert new.version != ds.version
    changes = [json.loads(x) for x in (new.path / "relabelled.jsonl").read_text().splitlines()]
    assert changes == [{"text": suspects[0].text, "was": suspects[0].given,
                        "label": suspects[0].suggested,
                        "detail": f"reviewed by bob: was {suspects[0].given!r}"}]  # fmt: skip
    rows = dict(zip(new.texts(), new.labels(), strict=True))
    assert rows[suspects[0].text] == suspects[0].suggested  # corrected
    assert rows[suspects[1].text] == suspects[1].given  # confirmed: kept as it was
    assert suspects[2].text not in rows  # skipped, and --quarantine: moved out
    assert new.manifest["rejected_by_reason"]["suspect_label"] == len(suspects) - 2
    assert new.manifest["relabelled"] == 1
