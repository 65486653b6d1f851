from __future__ import annotations

import json
from pathlib import Path

import pytest

from textops.data import DatasetStore, FileSource, IngestConfig, ingest, ingest_report
from textops.errors import DataFormatError, DatasetNotFoundError

# A CSV with every kind of bad row next to good ones.
BAD_CSV = (
    b"id,text,label\n"
    b"1,Win a free cruise now,spam\n"
    b"2,are we still on for lunch,ham\n"
    b"3,,ham\n"  # empty
    b"4,   ,ham\n"  # whitespace
    b"5,no label at all,\n"  # missing label
    b"6,caf\xe9 bytes,ham\n"  # undecodable
    b"7,ctrl \x01 char,ham\n"  # control character
    b"8,Win  a free cruise now,spam\n"  # exact duplicate after whitespace normalisation
    b"9,are we still on for lunch,spam\n"  # conflicting label
    b"10,x,ham\n"  # too short with min_chars=2
    b"11,too,many,fields\n"  # malformed
    b"12,see you at eight,ham\n"
)


def _csv(tmp: Path, name: str, data: bytes) -> Path:
    p = tmp / name
    p.write_bytes(data)
    return p


def test_every_row_is_accounted_for_overall_and_per_source(tmp_path: Path, home: Path) -> None:
    """Strict settings (a declared encoding, control characters rejected): every reason."""
    good = _csv(
        tmp_path,
        "good.jsonl",
        b'{"text": "hello", "label": "ham"}\n{"text": "Win a free cruise now", "label": "spam"}\n',
    )
    ds = ingest(
        [FileSource(_csv(tmp_path, "bad.csv", BAD_CSV), encoding="utf-8"), FileSource(good)],
        "mixed",
        IngestConfig(min_chars=2, control_chars="reject"),
        home=home,
    )
    m = ds.manifest
    assert m["rows_read"] == 14
    assert m["rows_read"] == m["rows_accepted"] + m["rows_rejected"]
    assert m["rejected_by_reason"] == {
        "conflicting_label": 2,
        "control_characters": 1,
        "empty_text": 2,
        "exact_duplicate": 2,
        "malformed_row": 1,
        "missing_label": 1,
        "text_too_short": 1,
        "undecodable_bytes": 1,
    }
    assert m["rows_accepted"] == 3  # "Win a free cruise now", "see you at eight", "hello"
    for src in m["sources"]:
        assert src["rows_read"] == src["rows_accepted"] + src["rows_rejected"]
    assert [s["rows_read"] for s in m["sources"]] == [12, 2]
    quarantined = ds.quarantine_path.read_text().splitlines()
    assert len(quarantined) == m["rows_rejected"]
    assert sorted(ds.texts()) == ["Win a free cruise now", "hello", "see you at eight"]
    assert m["labels"] == {"ham": 2, "spam": 1}


def test_by_default_damaged_bytes_and_controls_are_repaired_and_counted(
    tmp_path: Path, home: Path
) -> None:
    ds = ingest([FileSource(_csv(tmp_path, "bad.csv", BAD_CSV))], "bad", home=home)
    m = ds.manifest
    assert "undecodable_bytes" not in m["rejected_by_reason"]
    assert "control_characters" not in m["rejected_by_reason"]
    assert "café bytes" in ds.texts() and "ctrl char" in ds.texts()
    assert m["sources"][0]["encoding"] == "cp1252" and m["sources"][0]["encoding_detected"]
    assert m["repairs"] == {"control_characters": 1}
    assert m["rows_read"] == m["rows_accepted"] + m["rows_rejected"]


def test_unparseable_file_stops_ingest_and_writes_nothing(tmp_path: Path, home: Path) -> None:
    ok = _csv(tmp_path, "ok.csv", b"text,label\nfine,a\n")
    broken = _csv(tmp_path, "broken.csv", b"body,other\nfine,a\n")
    with pytest.raises(DataFormatError, match=r"broken\.csv"):
        ingest([FileSource(ok), FileSource(broken)], "x", home=home)
    root = home / "datasets"
    assert not root.exists() or list(root.iterdir()) == []
    with pytest.raises(DatasetNotFoundError, match="textops data ingest"):
        DatasetStore(home).get("x")


def test_same_inputs_give_the_same_fingerprint_in_any_order(tmp_path: Path, home: Path) -> None:
    a = _csv(tmp_path, "a.csv", b"text,label\none,x\ntwo,y\n")
    b = _csv(tmp_path, "b.csv", b"text,label\nthree,x\n")
    f1 = ingest([FileSource(a), FileSource(b)], "d", home=home).fingerprint
    f2 = ingest([FileSource(b), FileSource(a)], "d", home=home).fingerprint
    assert f1 == f2
    lower = IngestConfig.model_validate({"normalization": {"lowercase": True}})
    assert ingest([FileSource(a)], "d", lower, home=home).fingerprint != f1
    c = _csv(tmp_path, "c.csv", b"text,label\none,x\ntwo,x\nthree,x\n")
    assert ingest([FileSource(c)], "d", home=home).fingerprint != f1  # a label changed


def test_versions_are_kept_and_latest_moves(tmp_path: Path, home: Path) -> None:
    a = _csv(tmp_path, "a.csv", b"text,label\none,x\ntwo,y\n")
    v1 = ingest([FileSource(a)], "d", home=home)
    a.write_bytes(b"text,label\none,x\ntwo,y\nthree,y\n")
    v2 = ingest([FileSource(a)], "d", home=home)
    store = DatasetStore(home)
    assert {v.version for v in store.versions("d")} == {v1.version, v2.version}
    assert store.get("d").version == v2.version
    assert store.get("d", v1.version).manifest["rows_accepted"] == 2


def test_small_chunks_give_identical_results(tmp_path: Path, home: Path) -> None:
    src = _csv(tmp_path, "bad.csv", BAD_CSV)
    big = ingest([FileSource(src)], "big", IngestConfig(min_chars=2), home=home)
    small = ingest([FileSource(src)], "small", IngestConfig(min_chars=2, chunk_rows=2), home=home)
    assert big.fingerprint == small.fingerprint
    assert big.manifest["rejected_by_reason"] == small.manifest["rejected_by_reason"]
    assert big.table().drop(["source"]).equals(small.table().drop(["source"]))


def test_manifest_records_normalisation_splits_and_sources(tmp_path: Path, home: Path) -> None:
    p = _csv(tmp_path, "a.csv", b"text,label\n  Mixed   CASE ,x\n")
    cfg = IngestConfig.model_validate({"normalization": {"lowercase": True}, "splits": {"seed": 7}})
    ds = ingest([FileSource(p)], "n", cfg, home=home)
    m = json.loads((ds.path / "manifest.json").read_text())
    assert m["normalization"] == {
        "unicode_form": "NFC",
        "collapse_whitespace": True,
        "lowercase": True,
    }
    assert m["splits"]["seed"] == 7 and m["splits"]["method"] == "hash(text, seed)"
    assert m["sources"][0]["sha256"] and m["sources"][0]["columns"]["text"] == "text"
    assert ds.texts() == ["mixed case"]
    report = ingest_report(ds).as_json()
    for key in (
        "dataset",
        "fingerprint",
        "rows_read",
        "rows_accepted",
        "rows_rejected",
        "rejected_by_reason",
        "quarantine_path",
        "labels",
    ):
        assert key in report


def test_two_sources_with_one_name_are_refused(tmp_path: Path, home: Path) -> None:
    (tmp_path / "x").mkdir()
    a = _csv(tmp_path, "d.csv", b"text,label\none,x\n")
    b = _csv(tmp_path / "x", "d.csv", b"text,label\ntwo,x\n")
    with pytest.raises(DataFormatError, match="named"):
        ingest([FileSource(a), FileSource(b)], "d", home=home)


def test_bad_dataset_name_is_refused(tmp_path: Path, home: Path) -> None:
    p = _csv(tmp_path, "a.csv", b"text,label\none,x\n")
    with pytest.raises(DataFormatError, match="not allowed"):
        ingest([FileSource(p)], "../escape", home=home)


def test_the_fingerprint_is_the_sorted_hashes_of_the_rows_as_defined() -> None:
    """A dataset's version is its fingerprint: computing it faster must not change it."""
    import hashlib
    import json

    from textops.data._manifest import _HASH_BATCH, SCHEMA_VERSION, _fingerprint

    config = IngestConfig()
    rows = [
        (hashlib.sha256(str(i).encode()).digest(), "ab"[i % 2]) for i in range(_HASH_BATCH + 99)
    ]
    h = hashlib.sha256()
    h.update(json.dumps({"schema_version": SCHEMA_VERSION,
                         "normalization": config.normalization.model_dump(),
                         "splits": config.splits.model_dump()}, sort_keys=True).encode())  # fmt: skip
    for digest in sorted(hashlib.sha256(d + b"\0" + lab.encode()).digest() for d, lab in rows):
        h.update(digest)
    by_label: dict[str, list[bytes]] = {}
    for d, lab in rows:
        by_label.setdefault(lab, []).append(d)
    assert _fingerprint(config, by_label) == h.hexdigest()
    assert _fingerprint(config, {}) != h.hexdigest()


def test_rows_of_words_sort_as_their_bytes_ties_on_the_first_word_included() -> None:
    import numpy as np

    from textops.data._manifest import byte_order

    rows = [bytes([1] * 8 + [9] + [0] * 23), bytes([1] * 8 + [2] + [0] * 23), bytes([0] * 32)]
    words = np.frombuffer(b"".join(rows), dtype=np.uint8).view(">u8").reshape(-1, 4)
    assert [rows[i] for i in byte_order(words)] == sorted(rows)
    pair = [rows[0], rows[2]]  # no tie: the first word decides
    assert [pair[i] for i in byte_order(words[[0, 2]])] == sorted(pair)
