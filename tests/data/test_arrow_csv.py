"""pyarrow's CSV reader must give the rows Python's csv module gives, or hand over to it."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from textops.data import FileSource
from textops.data._chunk import RecordChunk
from textops.data._delimited import DelimitedReader


def _rows(chunks: list[RecordChunk]) -> list[tuple[object, ...]]:
    out = []
    for c in chunks:
        for i in range(len(c)):
            r = c.record(i)
            out.append((r.line, r.text, r.label, r.id, r.created_at, r.problem, r.detail,
                        r.encoding_repaired))  # fmt: skip
    return out


def _both(
    path: Path, chunk_rows: int = 3, **kw: object
) -> tuple[list[RecordChunk], list[RecordChunk]]:
    delim = "\t" if path.suffix == ".tsv" else ","
    source = FileSource(path, **kw)  # type: ignore[arg-type]
    by_csv = list(DelimitedReader(source, delim).csv_chunks(chunk_rows))
    either = list(DelimitedReader(FileSource(path, **kw), delim).chunks(chunk_rows))  # type: ignore[arg-type]
    return by_csv, either


PLAIN = "id,text,label\n" + "".join(f"{i},text number {i},{'ab'[i % 2]}\n" for i in range(10))
CASES = {
    "plain": PLAIN,
    "crlf": PLAIN.replace("\n", "\r\n"),
    "cr": PLAIN.replace("\n", "\r"),
    "cr blank line": PLAIN.replace("\n", "\r").replace("\r5,", "\r\r5,"),
    "blank line": PLAIN.replace("\n5,", "\n\n5,"),
    "trailing blank lines": PLAIN + "\n\n",
    "quoted newline": PLAIN.replace("text number 6", '"text\nnumber 6"'),
    "quoted carriage return": PLAIN.replace("text number 6", '"text\rnumber 6"'),
    "short row": PLAIN.replace("7,text number 7,b", "7,text number 7"),
    "long row": PLAIN.replace("7,text number 7,b", "7,text number 7,b,extra"),
    "quotes": PLAIN.replace("text number 3", '"say ""hi"""')
    .replace("text number 4", 'a "b" c')
    .replace("text number 8", ' "lead"'),
    "quote then text": PLAIN.replace("text number 2", '"ab"cd'),
    "unterminated quote": PLAIN + '11,"never closed,a\n',
    "unicode": PLAIN.replace("text number 1", "café naïve 😀"),
    "empty fields": PLAIN.replace("3,text number 3,b", ",,").replace("4,text number 4,a", "4,,a"),
    "spaced label": PLAIN.replace(",a\n", ", a \n"),
    "no trailing newline": PLAIN.rstrip("\n"),
    "header only": "id,text,label\n",
}


@pytest.mark.parametrize("name", list(CASES))
def test_pyarrow_reads_every_row_as_csv_does(name: str, tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(CASES[name], encoding="utf-8", newline="")
    by_csv, either = _both(path)
    assert _rows(either) == _rows(by_csv)


def test_bytes_that_are_not_utf8_and_a_bom_are_read_as_csv_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    stray = PLAIN.encode().replace(b"text number 9", b"caf\xe9 9")
    path.write_bytes(stray)  # named UTF-8: the row is quarantined as undecodable
    by_csv, either = _both(path, encoding="utf-8")
    assert _rows(either) == _rows(by_csv) and "\udce9" in by_csv[-1].texts[-1]
    # detected UTF-8 (from the file's head), one stray byte further on: decoded, counted
    body = "text,label\n" + "".join(
        f"na\u00efve caf\u00e9 r\u00e9sum\u00e9 {i},a\n" for i in range(40_000)
    )
    path.write_bytes(body.encode() + b"caf\xe9 late,b\n")
    by_csv, either = _both(path, chunk_rows=5000)
    assert _rows(either) == _rows(by_csv) and _rows(by_csv)[-1][-1] is True
    path.write_bytes(b"\xef\xbb\xbf" + PLAIN.encode())
    by_csv, either = _both(path)
    assert _rows(either) == _rows(by_csv) and by_csv[0].texts[0] == "text number 0"


def test_a_tsv_file_and_a_fuzzed_csv_file(tmp_path: Path) -> None:
    tsv = tmp_path / "f.tsv"
    tsv.write_text(PLAIN.replace(",", "\t"), encoding="utf-8")
    assert _rows(_both(tsv)[1]) == _rows(_both(tsv)[0])
    rng = random.Random(0)
    pieces = ["a", "b c", ",", '"', '""', " ", "\t", "\n", "\r\n", "é", "x,y", '"q"']
    for trial in range(40):
        lines = ["text,label"]
        for _ in range(rng.randint(1, 12)):
            lines.append("".join(rng.choices(pieces, k=rng.randint(0, 5))) + "," + rng.choice("ab"))
        path = tmp_path / f"fuzz{trial}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="")
        by_csv, either = _both(path, chunk_rows=2)
        assert _rows(either) == _rows(by_csv), path.read_text()


def test_a_plain_file_is_read_by_pyarrow_and_a_late_problem_hands_over_midway(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import textops.data._delimited as delimited

    read_by: list[str] = []
    real_arrow, real_csv = delimited.arrow_chunks, DelimitedReader.csv_chunks

    def arrow(*a: object, **kw: object):  # type: ignore[no-untyped-def]
        for chunk in real_arrow(*a, **kw):  # type: ignore[arg-type]
            read_by.append(f"arrow {len(chunk)}")
            yield chunk

    def by_csv(self: DelimitedReader, *a: object, **kw: object):  # type: ignore[no-untyped-def]
        for chunk in real_csv(self, *a, **kw):  # type: ignore[arg-type]
            read_by.append(f"csv {len(chunk)}")
            yield chunk

    monkeypatch.setattr(delimited, "arrow_chunks", arrow)
    monkeypatch.setattr("textops.data._arrow_csv.BLOCK_BYTES", 1 << 12)  # batches of ~300 rows
    monkeypatch.setattr(DelimitedReader, "csv_chunks", by_csv)
    body = "text,label\n" + "".join(f"row {i},a\n" for i in range(5000))
    path = tmp_path / "f.csv"
    path.write_text(body, encoding="utf-8")
    rows = _rows(list(DelimitedReader(FileSource(path), ",").chunks(1000)))
    assert read_by == ["arrow 1000"] * 5 and rows[-1][:3] == (5001, "row 4999", "a")
    read_by.clear()
    path.write_text(body + "late,a,extra\n", encoding="utf-8")
    rows = _rows(list(DelimitedReader(FileSource(path), ",").chunks(1000)))
    assert read_by[0].startswith("arrow") and read_by[-1].startswith("csv")
    assert len(rows) == 5001 and rows[-1][5] is not None  # the long row, malformed
    assert [r[0] for r in rows] == list(range(2, 5003))


@pytest.mark.parametrize("key", ["sms_spam", "chinese_reviews"])
def test_a_real_dataset_ingests_the_same_by_either_reader(
    key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Data textops did not write (a packaged dataset, quoted commas, non-ASCII text): the
    same version, rows, splits and quarantine whichever reader read the file."""
    import csv
    import itertools
    import json

    import pyarrow.parquet as pq

    from textops.data import builtin_source, ingest

    path = tmp_path / f"{key}.csv"
    rows = itertools.islice(builtin_source(key).rows, 3000)
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "text", "label"])
        out.writerows((f"r{i}", text, label) for i, (text, label) in enumerate(rows))

    def stored(home: Path) -> tuple[object, ...]:
        ds = ingest([FileSource(path)], "d", home=home, show_progress=False)
        table = pq.read_table(ds.data_path).to_pylist()
        quarantine = Path(ds.manifest["quarantine_path"]).read_text(encoding="utf-8")
        counts = {k: ds.manifest[k] for k in ("rows_read", "rows_accepted", "rejected_by_reason")}
        return ds.version, table, [json.loads(x) for x in quarantine.splitlines()], counts

    by_arrow = stored(tmp_path / "a")
    monkeypatch.setattr(DelimitedReader, "arrow_columns", lambda self: None)
    by_csv = stored(tmp_path / "c")
    assert by_arrow == by_csv and by_arrow[3]["rows_accepted"] > 2500
