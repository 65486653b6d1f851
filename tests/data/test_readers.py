from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from textops.data import FileSource, RejectReason
from textops.errors import DataFormatError

ROWS = [("hello there", "a", "1"), ('comma, "quote" and\nnewline', "b", "2"), ("third", "a", "3")]


def _records(src: FileSource, chunk_rows: int = 1000) -> list[tuple[str | None, str | None, int]]:
    return [(r.text, r.label, r.line) for chunk in src.chunks(chunk_rows) for r in chunk]


def _write_all(tmp: Path) -> dict[str, Path]:
    import csv

    paths = {}
    for fmt, delim in (("csv", ","), ("tsv", "\t")):
        p = tmp / f"d.{fmt}"
        with p.open("w", newline="") as fh:
            w = csv.writer(fh, delimiter=delim)
            w.writerow(["id", "message", "category"])
            for text, label, ident in ROWS:
                w.writerow([ident, text, label])
        paths[fmt] = p
    p = tmp / "d.jsonl"
    p.write_text(
        "".join(json.dumps({"id": i, "message": t, "category": lab}) + "\n" for t, lab, i in ROWS)
    )
    paths["jsonl"] = p
    p = tmp / "d.parquet"
    pq.write_table(
        pa.table(
            {
                "id": [r[2] for r in ROWS],
                "message": [r[0] for r in ROWS],
                "category": [r[1] for r in ROWS],
            }
        ),
        p,
    )
    paths["parquet"] = p
    return paths


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "parquet"])
def test_every_format_reads_the_same_rows_with_detected_columns(fmt: str, tmp_path: Path) -> None:
    src = FileSource(_write_all(tmp_path)[fmt])
    got = [(t, lab) for t, lab, _ in _records(src)]
    assert got == [(t, lab) for t, lab, _ in ROWS]
    assert src.describe()["columns"] == {
        "text": "message",
        "label": "category",
        "id": "id",
        "created_at": None,
    }


def test_csv_line_numbers_count_multiline_fields(tmp_path: Path) -> None:
    lines = [line for _, _, line in _records(FileSource(_write_all(tmp_path)["csv"]))]
    assert lines == [2, 3, 5]  # the second row spans lines 3-4


def test_chunking_does_not_change_rows(tmp_path: Path) -> None:
    src = FileSource(_write_all(tmp_path)["csv"])
    assert _records(src, chunk_rows=1) == _records(src, chunk_rows=1000)
    assert [len(c) for c in src.chunks(2)] == [2, 1]


def test_gzip_csv_is_read(tmp_path: Path) -> None:
    p = tmp_path / "d.csv.gz"
    with gzip.open(p, "wt") as fh:
        fh.write("text,label\nzipped text,a\n")
    assert _records(FileSource(p)) == [("zipped text", "a", 2)]


def test_missing_column_names_the_file_and_the_columns(tmp_path: Path) -> None:
    p = tmp_path / "nolabel.csv"
    p.write_text("text,other\nhello,x\n")
    with pytest.raises(DataFormatError, match=r"nolabel\.csv.*label column.*\['text', 'other'\]"):
        _records(FileSource(p))
    with pytest.raises(DataFormatError) as err:  # a Python caller is told its keyword too
        _records(FileSource(p))
    assert "label_col=NAME (--label-col NAME on the command line)" in str(err.value)


def test_named_column_that_is_absent_is_an_error(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_text("text,label\nhello,x\n")
    with pytest.raises(DataFormatError, match="no column 'body'"):
        _records(FileSource(p, text_col="body"))


def test_binary_file_with_csv_extension_is_rejected(tmp_path: Path) -> None:
    p = tmp_path / "fake.csv"
    pq.write_table(pa.table({"text": ["a"], "label": ["b"]}), p)
    with pytest.raises(DataFormatError, match="binary"):
        _records(FileSource(p))


def test_text_file_with_parquet_extension_is_rejected(tmp_path: Path) -> None:
    p = tmp_path / "fake.parquet"
    p.write_text("text,label\nhello,x\n")
    with pytest.raises(DataFormatError, match="Parquet"):
        _records(FileSource(p))


def test_jsonl_that_is_not_jsonl_is_rejected(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    p.write_text("this is not json\nnor this\n")
    with pytest.raises(DataFormatError, match="JSON object"):
        _records(FileSource(p))


def test_bad_jsonl_line_is_a_malformed_row_not_an_error(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    p.write_text('{"text": "ok", "label": "a"}\n{broken\n{"text": ["x"], "label": "a"}\n')
    recs = [r for c in FileSource(p).chunks(10) for r in c]
    assert [r.problem for r in recs] == [
        None,
        RejectReason.MALFORMED_ROW,
        RejectReason.MALFORMED_ROW,
    ]
    assert [r.line for r in recs] == [1, 2, 3]


def test_empty_file_and_unknown_extension_are_errors(tmp_path: Path) -> None:
    empty = tmp_path / "e.csv"
    empty.write_text("")
    with pytest.raises(DataFormatError, match="empty"):
        _records(FileSource(empty))
    with pytest.raises(DataFormatError, match="--format"):
        FileSource(_touch(tmp_path / "x.xlsx"))


def _touch(p: Path) -> Path:
    p.write_text("x")
    return p


def test_integral_float_labels_become_integers(tmp_path: Path) -> None:
    p = tmp_path / "d.parquet"
    pq.write_table(pa.table({"text": ["a", "b"], "label": [1.0, 0.0]}), p)
    assert [lab for _, lab, _ in _records(FileSource(p))] == ["1", "0"]
