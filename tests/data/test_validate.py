"""One test per rejection reason: each reject is named, counted and quarantined with its line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from textops.data import FileSource, IngestConfig, RejectReason, ingest

HEADER = b"text,label\n"
GOOD = b"a perfectly fine text,ham\n"

# reason -> (CSV body lines after the header and a good first row, config overrides)
CASES: dict[RejectReason, tuple[bytes, dict[str, object]]] = {
    RejectReason.MALFORMED_ROW: (b"three,fields,here\n", {}),
    # with a declared encoding (see STRICT); by default the bytes are decoded and kept
    RejectReason.UNDECODABLE_BYTES: (b"caf\xe9 au lait,ham\n", {}),
    # a CSV row cannot hold one; the JSONL escape is in its own test below
    RejectReason.INVALID_UNICODE: (b"", {}),
    RejectReason.CONTROL_CHARACTERS: (b"bell \x07 inside,ham\n", {"control_chars": "reject"}),
    RejectReason.EMPTY_TEXT: (b'"   ",ham\n', {}),
    RejectReason.TEXT_TOO_SHORT: (b"hi,ham\n", {"min_chars": 3}),
    RejectReason.TEXT_TOO_LONG: (b"x" * 50 + b",ham\n", {"max_chars": 40}),
    RejectReason.MISSING_LABEL: (b"no label here,\n", {}),
    RejectReason.UNKNOWN_LABEL: (b"labelled eggs,eggs\n", {"labels": ("ham", "spam")}),
    RejectReason.EXACT_DUPLICATE: (b"a  perfectly fine   text,ham\n", {}),
    RejectReason.CONFLICTING_LABEL: (b"a perfectly fine text,spam\n", {}),
    RejectReason.NEAR_DUPLICATE: (b"a perfectly fine text!,spam\n", {"near_duplicates": 0.8}),
    # ham ends with two rows, spam with one (line 3): under min_rows_per_label=2
    RejectReason.RARE_LABEL: (b"more ham text here,ham\n", {"min_rows_per_label": 2}),
    RejectReason.WRONG_LANGUAGE: (
        "Сегодня звёзды благоприятствуют Овнам: займитесь делами.,ham\n".encode(),
        {"languages": ("en",)},
    ),
}


#: reasons given after ingest, to rows of a stored version (tested in tests/review)
AFTER_INGEST = {RejectReason.SUSPECT_LABEL}


def test_every_reason_has_a_case() -> None:
    assert set(CASES) == set(RejectReason) - AFTER_INGEST


@pytest.mark.parametrize("reason", sorted(set(RejectReason) - AFTER_INGEST), ids=lambda r: r.value)
def test_reject_reason_is_named_counted_and_quarantined(
    reason: RejectReason, tmp_path: Path, home: Path
) -> None:
    body, overrides = CASES[reason]
    path = tmp_path / "in.csv"
    path.write_bytes(HEADER + GOOD + b"another good text,spam\n" + body)
    if reason is RejectReason.INVALID_UNICODE:
        path = tmp_path / "in.jsonl"
        rows = ['{"text": "a perfectly fine text", "label": "ham"}',
                '{"text": "another good text", "label": "spam"}',
                '{"text": "half a pair \\ud800 here", "label": "ham"}']  # fmt: skip
        path.write_text("\n".join(rows) + "\n")
    encoding = "utf-8" if reason is RejectReason.UNDECODABLE_BYTES else "auto"
    config = IngestConfig.model_validate(overrides)
    ds = ingest([FileSource(path, encoding=encoding)], "t", config, home=home)
    m = ds.manifest
    assert m["rows_read"] == 3
    assert m["rows_read"] == m["rows_accepted"] + m["rows_rejected"]
    assert m["rejected_by_reason"][reason.value] >= 1
    records = [json.loads(x) for x in ds.quarantine_path.read_text().splitlines()]
    mine = [r for r in records if r["reason"] == reason.value]
    assert mine and all(r["source"] == path.name and r["detail"] for r in mine)
    if reason is RejectReason.CONFLICTING_LABEL:
        # both versions of a contested text leave: the first (line 2) and the later (line 4)
        assert sorted(r["line"] for r in mine) == [2, 4]
        assert m["rows_accepted"] == 1
    elif reason is RejectReason.RARE_LABEL:
        assert [r["line"] for r in mine] == [3] and m["labels"] == {"ham": 2}
        assert m["rows_accepted"] == 2
    else:
        # line 4 of the CSV (after its header), line 3 of the JSONL
        assert [r["line"] for r in mine] == [4 if path.suffix == ".csv" else 3]
        assert m["rows_accepted"] == 2


def test_undecodable_text_is_quarantined_readably(tmp_path: Path, home: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(HEADER + GOOD + b"caf\xe9,ham\n")
    ds = ingest([FileSource(path, encoding="utf-8")], "t", home=home)
    (rec,) = [json.loads(x) for x in ds.quarantine_path.read_text().splitlines()]
    assert rec["text"] == "caf\\xe9"


def test_tab_and_newline_are_not_control_characters(tmp_path: Path, home: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(HEADER + b'"two\tcolumns\r\nand lines",ham\n')
    ds = ingest([FileSource(path)], "t", home=home)
    assert ds.manifest["rows_accepted"] == 1
    assert ds.texts() == ["two columns and lines"]


def test_unicode_is_normalised_to_nfc_before_deduplication(tmp_path: Path, home: Path) -> None:
    path = tmp_path / "in.csv"
    decomposed = "cafe\u0301 time".encode()
    composed = "caf\u00e9 time".encode()
    path.write_bytes(HEADER + composed + b",ham\n" + decomposed + b",ham\n")
    ds = ingest([FileSource(path)], "t", home=home)
    assert ds.manifest["rejected_by_reason"] == {"exact_duplicate": 1}
    assert ds.manifest["normalization"]["unicode_form"] == "NFC"
