"""Damaged text at ingest is repaired or quarantined row by row, never silently lost."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from textops.data import FileSource, IngestConfig, MemorySource, ingest
from textops.data import _repair as repair
from textops.errors import DataFormatError, RejectRateError

WORDS = ["the", "match", "tonight", "was", "great", "but", "our", "coach", "wasn't", "happy"]
NAMES = ["José", "Zoë", "François", "Müller", "Ångström", "Núñez", "Søren", "Chloé"]


def _latin1_tweets(n: int, seed: int = 0) -> tuple[bytes, list[str]]:
    """A CSV written by a Windows tool in cp1252: accents, curly quotes and ellipses as single
    bytes, and some rows that already held mojibake (UTF-8 read as cp1252, saved again)."""
    rng = random.Random(seed)
    lines, expected = [b"id,tweet,sentiment"], []
    for i in range(n):
        words = rng.sample(WORDS, 6)
        text = f"{rng.choice(NAMES)} said \u201c{' '.join(words)}\u201d\u2026 it\u2019s #{i}"
        label = rng.choice(["positive", "negative"])
        expected.append(text)
        # every 7th row: UTF-8 that a tool read as cp1252 and saved again (the same bytes)
        stored = text.encode("utf-8" if i % 7 == 0 else "cp1252")
        lines.append(b'%d,"%s",%s' % (i, stored, label.encode()))
    return b"\r\n".join(lines) + b"\r\n", expected


def test_a_latin1_csv_with_mojibake_keeps_its_rows_and_their_text(
    tmp_path: Path, home: Path
) -> None:
    data, expected = _latin1_tweets(600)
    path = tmp_path / "tweets.csv"
    path.write_bytes(data)
    ds = ingest([FileSource(path)], "tweets", home=home)
    m = ds.manifest
    assert m["rows_accepted"] / m["rows_read"] >= 0.96, m["rejected_by_reason"]
    assert m["rejected_by_reason"] == {}
    assert m["sources"][0]["encoding"] == "cp1252"
    assert m["repairs"]["mojibake"] == len(range(0, 600, 7))
    assert sorted(ds.texts()) == sorted(expected)  # the columns were found: tweet, sentiment
    assert set(ds.labels()) == {"positive", "negative"}


def test_a_declared_wrong_encoding_quarantines_and_says_which_one_fits(
    tmp_path: Path, home: Path
) -> None:
    data, _ = _latin1_tweets(200)
    path = tmp_path / "tweets.csv"
    path.write_bytes(data)
    ds = ingest([FileSource(path, encoding="utf-8")], "tweets", home=home)
    m = ds.manifest
    assert m["rejected_by_reason"]["undecodable_bytes"] > 100
    (warning,) = [w for w in m["warnings"] if w["reason"] == "undecodable_bytes"]
    assert "--encoding cp1252" in warning["hint"]


def test_stray_bytes_after_a_utf8_head_are_decoded_and_counted(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("textops.data._files.SNIFF_BYTES", 200)  # the head is all UTF-8
    path = tmp_path / "mixed.csv"
    head = "".join(f"naïve café number {i} is open,a\n" for i in range(10)).encode()
    path.write_bytes(b"text,label\n" + head + b"caf\xe9 cr\xe8me from an old export,b\n")
    ds = ingest([FileSource(path)], "mixed", home=home)
    assert ds.manifest["sources"][0]["encoding"] == "utf-8-sig"
    assert "café crème from an old export" in ds.texts()
    assert ds.manifest["repairs"] == {"encoding": 1}


def test_u0092_apostrophes_in_the_sms_set_are_repaired_not_quarantined(home: Path) -> None:
    rows = [("Fine if that\x92s the way u feel", "ham"), ("Call now\x85 free prize", "spam")]
    ds = ingest([MemorySource("sms", rows)], "sms", home=home)
    assert ds.manifest["rows_rejected"] == 0
    assert sorted(ds.texts()) == ["Call now\u2026 free prize", "Fine if that\u2019s the way u feel"]
    assert ds.manifest["repairs"] == {"mojibake": 2}


def test_control_characters_are_stripped_or_rejected_as_configured(
    tmp_path: Path, home: Path
) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"text,label\nbell\x07ring,a\nform\x0cfeed,b\n")
    ds = ingest([FileSource(path)], "c", home=home)
    assert sorted(ds.texts()) == ["bellring", "form feed"]
    assert ds.manifest["repairs"] == {"control_characters": 2}
    with pytest.raises(DataFormatError, match="no row of 2 was accepted"):
        ingest([FileSource(path)], "c2", IngestConfig(control_chars="reject"), home=home)


def test_one_nul_row_is_quarantined_and_the_rest_ingested(tmp_path: Path, home: Path) -> None:
    path = tmp_path / "nul.csv"
    rows = b"".join(b"row number %d is fine,a\n" % i for i in range(50))
    path.write_bytes(b"text,label\n" + rows + b"dam\x00aged,b\n" + b"after the damage,b\n")
    ds = ingest([FileSource(path)], "nul", home=home)
    assert ds.manifest["rows_accepted"] == 51
    (rec,) = [json.loads(x) for x in ds.quarantine_path.read_text().splitlines()]
    assert rec["reason"] == "control_characters" and "NUL" in rec["detail"]


def test_a_binary_file_is_still_refused(tmp_path: Path, home: Path) -> None:
    path = tmp_path / "image.csv"
    path.write_bytes(b"text,label\n" + bytes(range(32)) * 400)
    with pytest.raises(DataFormatError, match="binary"):
        ingest([FileSource(path)], "img", home=home)


def test_utf16_with_a_bom_is_read(tmp_path: Path, home: Path) -> None:
    path = tmp_path / "u16.csv"
    path.write_bytes("text,label\nžluťoučký kůň,a\nhello there,b\n".encode("utf-16"))
    ds = ingest([FileSource(path)], "u16", home=home)
    assert sorted(ds.texts()) == ["hello there", "žluťoučký kůň"]


def test_lone_surrogates_anywhere_in_a_jsonl_row_are_quarantined(
    tmp_path: Path, home: Path
) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(
        '{"id": "1", "text": "fine", "label": "a"}\n'
        '{"id": "2", "text": "bad \\ud800 text", "label": "a"}\n'
        '{"id": "3", "text": "bad label", "label": "\\udfff"}\n'
        '{"id": "4\\ud800", "text": "odd id is kept escaped", "label": "b"}\n'
    )
    ds = ingest([FileSource(path)], "s", home=home)
    m = ds.manifest
    assert m["rejected_by_reason"] == {"invalid_unicode": 2}
    assert sorted(ds.texts()) == ["fine", "odd id is kept escaped"]
    ids = ds.table(["id"])["id"].to_pylist()
    assert "4\\ud800" in ids
    quarantined = [json.loads(x) for x in ds.quarantine_path.read_text().splitlines()]
    assert {q["line"] for q in quarantined} == {2, 3}


def test_a_header_only_csv_is_refused_and_stores_nothing(tmp_path: Path, home: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("text,label\n")
    with pytest.raises(DataFormatError, match="no data rows"):
        ingest([FileSource(path)], "empty", home=home)
    assert not (home / "datasets" / "empty").exists()


def test_max_reject_rate_fails_and_keeps_the_quarantine(tmp_path: Path, home: Path) -> None:
    path = tmp_path / "dups.csv"
    path.write_text("text,label\n" + "same text,a\n" * 10 + "other text,b\n")
    with pytest.raises(RejectRateError, match=r"over max_reject_rate=0\.5") as info:
        ingest([FileSource(path)], "dups", IngestConfig(max_reject_rate=0.5), home=home)
    assert info.value.exit_code == 1
    assert not (home / "datasets" / "dups").exists()
    (kept,) = (home / "datasets" / ".failed").glob("dups-*/quarantine.jsonl")
    assert len(kept.read_text().splitlines()) == 9
    ingest([FileSource(path)], "dups", home=home)  # without the gate it is stored


def test_cli_warns_loudly_and_max_reject_rate_exits_1(tmp_path: Path, home: Path) -> None:
    data, _ = _latin1_tweets(100)
    path = tmp_path / "tweets.csv"
    path.write_bytes(data)
    exe = [sys.executable, "-m", "textops", "data", "ingest", str(path), "--encoding", "utf-8"]
    r = subprocess.run(exe, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "warning" in r.stderr and "undecodable_bytes" in r.stderr and "cp1252" in r.stderr
    r = subprocess.run([*exe, "--max-reject-rate", "0.01", "--name", "t2"], capture_output=True)
    assert r.returncode == 1 and b"Traceback" not in r.stderr
    r = subprocess.run([*exe[:-2], "--name", "t3"], capture_output=True, text=True)
    assert r.returncode == 0 and "warning" not in r.stderr, r.stderr


@pytest.mark.parametrize(
    ("header", "text", "label", "ident"),
    [
        ("ticket_id,body,queue", "body", "queue", "ticket_id"),
        ("review,sentiment,user_id,review_id", "review", "sentiment", None),
        ("userId,tweet,emotion", "tweet", "emotion", "userId"),
    ],
)
def test_common_column_names_are_detected(
    header: str, text: str, label: str, ident: str | None, tmp_path: Path
) -> None:
    path = tmp_path / "cols.csv"
    values = ",".join(f"v{i}" for i in range(len(header.split(","))))
    path.write_text(f"{header}\n{values}\n")
    src = FileSource(path)
    list(src.chunks(10))
    assert src.describe()["columns"] == {
        "text": text,
        "label": label,
        "id": ident,
        "created_at": None,
    }


def test_sniffing_prefers_utf8_then_the_common_code_page() -> None:
    assert repair.sniff_encoding("naïve".encode()[:-1] + b"\xc3") == "utf-8-sig"
    assert repair.sniff_encoding("café it’s".encode("cp1252")) == "cp1252"
    russian = "Привет мир, как дела? Всё хорошо, спасибо.\n" * 5
    assert repair.sniff_encoding(russian.encode("cp1251")) == "cp1251"
