"""Streaming readers: CSV, TSV, JSONL and Parquet files, read in chunks of rows.

A reader never holds a whole file: it yields at most ``chunk_rows`` rows at a time, as records
(``chunks``) or as columns (``FileSource.record_chunks``, what ingest reads; CSV and TSV go
straight into columns, see ``_delimited``). Rows that cannot be turned into fields (a wrong
field count, an invalid JSON line) come with ``problem`` set, so they are counted and
quarantined like any other reject. A file that cannot be read at all raises
:class:`~textops.errors.DataFormatError` before any row is yielded.
"""

from __future__ import annotations

import codecs
import csv
import json
import logging
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from textops._option import option
from textops._types import JSON
from textops.data._chunk import RecordChunk
from textops.data._columns import Columns, as_label, as_text, resolve_columns
from textops.data._delimited import DelimitedReader
from textops.data._files import FORMATS, detect_format, open_text
from textops.data._repair import AUTO, EncodingGuess, decode_escaped
from textops.data._schema import RawRecord, RejectReason
from textops.errors import DataFormatError

__all__ = ["FileSource", "MemorySource", "RecordSource"]

log = logging.getLogger("textops.data")

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class RecordSource(Protocol):
    """Anything that yields raw records in chunks: a file, or rows a built-in loader produced."""

    @property
    def name(self) -> str: ...

    def describe(self) -> JSON: ...

    def chunks(self, chunk_rows: int) -> Iterator[list[RawRecord]]: ...

    #: every row of this source goes to this split (None: the hash of its text decides)
    @property
    def split(self) -> str | None: ...

    #: a row of this source that contradicts an earlier row's label is quarantined alone (the
    #: earlier row stays): feedback yields to curated data
    @property
    def yields(self) -> bool: ...


def _in_chunks(records: Iterable[RawRecord], chunk_rows: int) -> Iterator[list[RawRecord]]:
    chunk: list[RawRecord] = []
    for rec in records:
        chunk.append(rec)
        if len(chunk) >= chunk_rows:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _malformed(source: str, line: int, detail: str) -> RawRecord:
    return RawRecord(source, line, None, None, problem=RejectReason.MALFORMED_ROW, detail=detail)


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass
class FileSource:
    """One input file mapped onto the schema. Columns are auto-detected unless named."""

    path: Path
    format: str | None = None
    text_col: str | None = None
    label_col: str | None = None
    id_col: str | None = None
    created_col: str | None = None
    #: ``auto`` detects it (UTF-8, UTF-16/32 by BOM, else charset-normalizer's guess) and
    #: decodes stray non-UTF-8 bytes as Windows-1252, counting each such row as repaired; a
    #: named encoding is used as given, and rows with bytes invalid in it are quarantined
    encoding: str = AUTO
    #: False for a generation corpus: no label column is looked for; ``label_col``, when
    #: given, is the prompt column (read into the label field)
    labelled: bool = True
    #: every row to this split (None: by the hash of its text); see :class:`RecordSource`
    split: str | None = None
    #: its rows yield to earlier rows on a label conflict; see :class:`RecordSource`
    yields: bool = False
    #: with ``auto``: the encoding to use when the file is not Unicode (a model's own)
    prefer_encoding: str | None = None
    _columns: Columns | None = field(default=None, repr=False)
    _encoding: EncodingGuess | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if not self.path.is_file():
            raise DataFormatError(f"{self.path}: no such file")
        if self.split not in (None, "train", "validation", "test"):
            raise DataFormatError(f"split {self.split!r}: use train, validation or test")
        self.format = self.format or detect_format(self.path)
        if self.format not in FORMATS:
            raise DataFormatError(f"{self.path}: unknown format {self.format!r}; use {FORMATS}")
        if self.encoding != AUTO:
            try:
                codecs.lookup(self.encoding)
            except LookupError:
                raise DataFormatError(
                    f"unknown encoding {self.encoding!r}; use a Python codec name such as "
                    "utf-8, cp1252, latin-1 or utf-16, or auto"
                ) from None

    @property
    def name(self) -> str:
        return self.path.name

    def describe(self) -> JSON:
        out: JSON = {
            "path": str(self.path),
            "format": self.format,
            "columns": {} if self._columns is None else self._columns.describe(),
        }
        if self._encoding is not None:
            out["encoding"] = self._encoding.encoding
            out["encoding_detected"] = self.encoding == AUTO
            out["encoding_confident"] = self._encoding.confident
            if self._encoding.note:
                out["encoding_note"] = self._encoding.note
        if self.split is not None:
            out["split"] = self.split
        if self.yields:
            out["yields"] = True
        return out

    def resolve_columns(self, columns: Sequence[str]) -> Columns:
        """The file's text, label, id and created columns among ``columns`` (its header)."""
        self._columns = resolve_columns(
            columns,
            self.path,
            text=self.text_col,
            label=self.label_col,
            id=self.id_col,
            created=self.created_col,
            label_required=self.labelled,
        )
        return self._columns

    def open_text(self) -> IO[str]:
        """The file as text in its chosen encoding (``encoding_chosen`` says which)."""
        fh, self._encoding = open_text(
            self.path, str(self.format), self.encoding, self.prefer_encoding
        )
        if not self._encoding.confident:
            log.warning(
                "%s: decoded as %s, a guess (%s): if its texts look wrong, name the file's "
                "real encoding (cp1252, latin-1, utf-8, ...): %s",
                self.name, self._encoding.encoding, self._encoding.note, option("encoding"),
            )  # fmt: skip
        return fh

    @property
    def encoding_chosen(self) -> str | None:
        """The encoding the file is read in, once it was opened (None before)."""
        return None if self._encoding is None else self._encoding.encoding

    def _field(self, value: str) -> tuple[str, bool]:
        """A text field as read; in ``auto`` mode with stray undecodable bytes decoded."""
        if self.encoding != AUTO:
            return value, False
        return decode_escaped(value)

    def chunks(self, chunk_rows: int) -> Iterator[list[RawRecord]]:
        if self.format in ("csv", "tsv"):
            rows = self._delimited("," if self.format == "csv" else "\t")
        elif self.format == "jsonl":
            rows = self._jsonl()
        else:
            rows = self._parquet(chunk_rows)
        return _in_chunks(rows, chunk_rows)

    def _record(
        self, line: int, text: str | None, label: Any, ident: Any, created: Any
    ) -> RawRecord:
        """A parsed row, its text and label repaired of stray bytes (``auto`` encoding)."""
        fixed = fixed_label = False
        if text is not None:
            text, fixed = self._field(text)
        if isinstance(label, str):  # decoded before it is stripped: a stray byte may be a space
            label, fixed_label = self._field(label)
        return RawRecord(
            self.name,
            line,
            text,
            as_label(label),
            _str_or_none(ident),
            _str_or_none(created),
            encoding_repaired=fixed or fixed_label,
        )

    def _delimited(self, delimiter: str) -> Iterator[RawRecord]:
        for chunk in DelimitedReader(self, delimiter).csv_chunks(10_000):
            yield from (chunk.record(i) for i in range(len(chunk)))

    def record_chunks(self, chunk_rows: int) -> Iterator[RecordChunk]:
        """The file in chunks of columns (CSV and TSV read straight into columns)."""
        if self.format in ("csv", "tsv"):
            delimiter = "," if self.format == "csv" else "\t"
            return DelimitedReader(self, delimiter).chunks(chunk_rows)
        return (RecordChunk.of(self.name, c) for c in self.chunks(chunk_rows))

    def _jsonl(self) -> Iterator[RawRecord]:
        cols: Columns | None = None
        with self.open_text() as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except ValueError as exc:
                    yield _malformed(self.name, lineno, f"invalid JSON: {exc}")
                    continue
                if not isinstance(obj, dict):
                    kind = type(obj).__name__
                    yield _malformed(
                        self.name, lineno, f"a JSON line must be an object, got {kind}"
                    )
                    continue
                cols = cols or self.resolve_columns(list(obj))
                text, why = as_text(obj.get(cols.text))
                if why:
                    yield _malformed(self.name, lineno, why)
                    continue
                ident = obj.get(cols.id) if cols.id else None
                created = obj.get(cols.created) if cols.created else None
                label = obj.get(cols.label) if cols.label else None
                yield self._record(lineno, text, label, ident, created)
        if cols is None:
            raise DataFormatError(
                f"{self.path}: no line is a JSON object; is this really JSONL (one object per line)?"
            )

    def _parquet(self, chunk_rows: int) -> Iterator[RawRecord]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(self.path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise DataFormatError(f"{self.path}: not a readable Parquet file ({exc})") from exc
        cols = self.resolve_columns(pf.schema_arrow.names)
        wanted = list(dict.fromkeys(c for c in cols if c is not None))
        row = 0
        for batch in pf.iter_batches(batch_size=chunk_rows, columns=wanted):
            data = batch.to_pydict()
            texts = data[cols.text]
            labels = data[cols.label] if cols.label else [None] * len(texts)
            ids = data[cols.id] if cols.id else [None] * len(texts)
            created = data[cols.created] if cols.created else [None] * len(texts)
            for text_v, label_v, id_v, c_v in zip(texts, labels, ids, created, strict=True):
                row += 1
                text, why = as_text(text_v)
                if why:
                    yield _malformed(self.name, row, why)
                    continue
                # Parquet strings are decoded already: no stray bytes to repair
                label, ident = as_label(label_v), _str_or_none(id_v)
                yield RawRecord(self.name, row, text, label, ident, _str_or_none(c_v))


@dataclass
class MemorySource:
    """Rows already in memory as ``(text, label)`` pairs, e.g. from a built-in dataset loader."""

    source_name: str
    rows: Iterable[tuple[str | None, str | None]]
    origin: str = ""
    split: str | None = None
    yields: bool = False

    @property
    def name(self) -> str:
        return self.source_name

    def describe(self) -> JSON:
        return {"path": self.origin or self.source_name, "format": "builtin"}

    def chunks(self, chunk_rows: int) -> Iterator[list[RawRecord]]:
        records = (
            RawRecord(self.source_name, i, text, as_label(label))
            for i, (text, label) in enumerate(self.rows, start=1)
        )
        return _in_chunks(records, chunk_rows)
