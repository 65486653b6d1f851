"""A CSV or TSV file read in chunks of columns: by pyarrow where it reads the file exactly as
Python's ``csv`` module would (see ``_arrow_csv``), by the ``csv`` module from the first row
where it cannot; either way the same rows, lines, rejects and dataset version."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

from textops.data._arrow_csv import (
    UTF8,
    ArrowColumns,
    FallBack,
    arrow_chunks,
    has_blank_line,
    header_names,
)
from textops.data._chunk import RecordChunk, fields_chunk
from textops.data._columns import Columns
from textops.data._files import open_binary
from textops.data._repair import AUTO
from textops.data._schema import RejectReason
from textops.errors import DataFormatError

__all__ = ["DelimitedReader", "TextFile"]

log = logging.getLogger("textops.data")


class TextFile(Protocol):
    """What the reader needs of a file source (``FileSource``)."""

    path: Path
    format: str | None
    encoding: str

    @property
    def name(self) -> str: ...

    @property
    def encoding_chosen(self) -> str | None: ...

    def open_text(self) -> IO[str]: ...

    def resolve_columns(self, columns: Sequence[str]) -> Columns: ...


class DelimitedReader:
    def __init__(self, source: TextFile, delimiter: str) -> None:
        self.source = source
        self.delimiter = delimiter

    def _header(self, reader: Any) -> tuple[int, int | None, int | None, int | None, int]:
        """The header row's column positions: text, label, id, created; and its width."""
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise DataFormatError(
                f"{self.source.path}: the file is empty (no header row)"
            ) from None
        except csv.Error as exc:
            raise DataFormatError(
                f"{self.source.path}: header is not valid {self.source.format}: {exc}"
            ) from exc
        cols = self.source.resolve_columns(header)

        def at(name: str | None) -> int | None:
            return header.index(name) if name else None

        return header.index(cols.text), at(cols.label), at(cols.id), at(cols.created), len(header)

    def chunks(self, chunk_rows: int) -> Iterator[RecordChunk]:
        """pyarrow's reader where it reads the file as ``csv`` would (see ``_arrow_csv``),
        from where it cannot on, the ``csv`` module's."""
        done = 0
        columns = self.arrow_columns()
        if columns is not None:
            try:
                for chunk in arrow_chunks(
                    self.source.path, self.delimiter, self.source.name, columns, chunk_rows
                ):
                    yield chunk
                    done += len(chunk)
                return
            except FallBack as fb:
                log.info(
                    "%s: read row by row from data row %d (%s)", self.source.name, done + 1, fb
                )
        yield from self.csv_chunks(chunk_rows, skip=done)

    def arrow_columns(self) -> ArrowColumns | None:
        """The columns for pyarrow's reader, or None when the file is for ``csv`` alone: not
        UTF-8, or a header pyarrow reads differently."""
        # opened as the csv path opens it: the binary check, the encoding chosen
        with self.source.open_text() as fh:
            try:
                header = next(csv.reader(fh, delimiter=self.delimiter), None)
            except csv.Error:
                return None
        chosen = self.source.encoding_chosen
        if header is None or chosen is None or chosen.lower() not in UTF8:
            return None
        with open_binary(self.source.path) as stream:
            if has_blank_line(stream):
                return None
        try:
            names = header_names(self.source.path, self.delimiter)
        except FallBack:
            return None
        if names != header or len(set(names)) != len(names):
            return None
        stripped = [h.strip() for h in header]
        cols = self.source.resolve_columns(stripped)

        def raw(name: str | None) -> str | None:
            return None if name is None else names[stripped.index(name)]

        text = raw(cols.text)
        assert text is not None
        return ArrowColumns(text, raw(cols.label), raw(cols.id), raw(cols.created))

    def csv_chunks(self, chunk_rows: int, skip: int = 0) -> Iterator[RecordChunk]:
        """The ``csv`` module's rows in chunks, after the first ``skip`` data rows."""
        with self.source.open_text() as fh:
            reader = csv.reader(fh, delimiter=self.delimiter)
            ti, li, ii, ci, width = self._header(reader)
            prev, done = reader.line_num, False
            while not done:
                rows: list[list[str] | None] = []
                starts: list[int] = []
                problems: dict[int, tuple[RejectReason, str]] = {}
                while len(rows) < chunk_rows:
                    start = prev + 1
                    try:
                        fields = next(reader)
                    except StopIteration:
                        done = True
                        break
                    except csv.Error as exc:
                        detail = f"unparseable {self.source.format} row: {exc}"
                        fields = None
                    else:
                        if not fields:  # a blank line is not a row
                            prev = reader.line_num
                            continue
                        if len(fields) != width:
                            detail = f"expected {width} fields, found {len(fields)}"
                            fields = None
                    prev = reader.line_num
                    if skip:  # read already (by pyarrow)
                        skip -= 1
                        continue
                    if fields is None:
                        problems[len(rows)] = (RejectReason.MALFORMED_ROW, detail)
                    rows.append(fields)
                    starts.append(start)
                if rows:
                    yield fields_chunk(self.source.name, rows, starts, problems, (ti, li, ii, ci),
                                       decode=self.source.encoding == AUTO)  # fmt: skip
