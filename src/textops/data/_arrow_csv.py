"""CSV and TSV read by pyarrow's streaming reader (C++, columns at once) into chunks of rows.

Python's ``csv`` module is the reference: the row-by-row reader in ``_readers`` gives each row
the line it starts on, keeps blank lines out, counts a row with the wrong number of fields as
malformed and decodes stray bytes. pyarrow gives the same rows for the common file: UTF-8, one
line per row, every row with the header's width. Whatever it cannot promise to read the same
way (a value holding a line break, a blank line, a short or long row, bytes that are not
UTF-8, a parse error) stops it with :class:`FallBack` before the batch holding it is handed
on, and the row-by-row reader reads the file from the first row not yet handed on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from textops.data._chunk import RecordChunk

__all__ = ["ArrowColumns", "FallBack", "arrow_chunks", "has_blank_line", "header_names"]

#: the encodings whose bytes pyarrow reads as they are (the header's BOM it skips itself)
UTF8 = frozenset({"utf-8", "utf_8", "utf8", "utf-8-sig", "utf_8_sig", "ascii"})
#: bytes pyarrow parses at a time (a batch): what is read again by ``csv`` after a FallBack
BLOCK_BYTES = 1 << 22
_BLANK_LINES = (b"\n\n", b"\n\r\n", b"\r\r")


class FallBack(Exception):  # noqa: N818 - not an error: a change of reader
    """The file needs the row-by-row reader from data row ``rows_done`` on."""

    def __init__(self, rows_done: int, why: str) -> None:
        super().__init__(why)
        self.rows_done = rows_done


@dataclass(frozen=True)
class ArrowColumns:
    """The header's names of the columns to read (None: the file has no such column)."""

    text: str
    label: str | None
    id: str | None
    created: str | None


def header_names(path: Path, delimiter: str) -> list[str]:
    """The header row's names as pyarrow reads them (FallBack when it cannot read them)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=1 << 16),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=True,
                invalid_row_handler=lambda row: "skip",  # the rows are read later
            ),
            convert_options=pacsv.ConvertOptions(include_columns=[]),
        )
        names = list(reader.schema.names)
    except (pa.ArrowInvalid, OSError) as exc:
        raise FallBack(0, f"pyarrow cannot read the header: {exc}") from None
    if any("\n" in n or "\r" in n for n in names) or len(names) < 2:
        raise FallBack(0, "a header pyarrow may number differently (one column, or a line break)")
    return names


def arrow_chunks(
    path: Path, delimiter: str, source: str, columns: ArrowColumns, chunk_rows: int
) -> Iterator[RecordChunk]:
    """The data rows of ``path`` in chunks of at most ``chunk_rows``; raises
    :class:`FallBack` (with the rows handed on so far) where the row-by-row reader must go on."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    wanted = [c for c in (columns.text, columns.label, columns.id, columns.created) if c]
    invalid: list[int] = []

    def on_invalid(row: Any) -> str:  # a row of the wrong width
        invalid.append(1)
        return "skip"

    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=BLOCK_BYTES, use_threads=False),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=True,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                include_columns=wanted,
                column_types=dict.fromkeys(wanted, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, OSError) as exc:
        raise FallBack(0, f"pyarrow cannot open it: {exc}") from None
    done = 0
    pending: list[Any] = []
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        except (pa.ArrowInvalid, OSError) as exc:  # not UTF-8, an unterminated quote, ...
            raise FallBack(done, f"pyarrow stopped: {exc}") from None
        if invalid:
            raise FallBack(done, "a row of another width")
        if _has_line_break(batch):
            raise FallBack(done, "a value holds a line break")
        pending.append(batch)
        while sum(b.num_rows for b in pending) >= chunk_rows:
            chunk, pending = _take(pending, chunk_rows)
            yield _chunk(chunk, source, columns, done)
            done += chunk.num_rows
    if pending:
        table = pa.Table.from_batches(pending)
        if table.num_rows:
            yield _chunk(table, source, columns, done)


def has_blank_line(raw: IO[bytes]) -> bool:
    """Whether the bytes of ``raw`` (a binary stream) hold an empty line, or a line break inside
    a quoted value that looks like one: pyarrow skips blank lines without a trace, ``csv``
    counts them in its line numbers."""
    tail = b""
    while block := raw.read(1 << 24):
        seam = tail + block[:2]  # a blank line across two blocks
        if any(blank in block or blank in seam for blank in _BLANK_LINES):
            return True
        tail = block[-2:]
    return False


def _has_line_break(batch: Any) -> bool:
    """Whether a value of ``batch`` holds a line break: one numpy pass over each column's
    character bytes (the values' span of its data buffer)."""
    import numpy as np

    for col in batch.columns:
        _, offsets_buffer, data_buffer = col.buffers()
        if data_buffer is None or not len(col):
            continue
        offsets = np.frombuffer(offsets_buffer, np.int32)
        span = np.frombuffer(data_buffer, np.uint8)[
            offsets[col.offset] : offsets[col.offset + len(col)]
        ]
        if ((span == 10) | (span == 13)).any():
            return True
    return False


def _take(pending: list[Any], n: int) -> tuple[Any, list[Any]]:
    import pyarrow as pa

    table = pa.Table.from_batches(pending)
    rest = table.slice(n)
    return table.slice(0, n), rest.to_batches() if rest.num_rows else []


def _chunk(table: Any, source: str, columns: ArrowColumns, done: int) -> RecordChunk:
    """Rows ``done`` onwards (the header is line 1, one line per row)."""
    n = table.num_rows

    def column(name: str | None, blank: str | None) -> list[str | None]:
        if name is None:
            return [None] * n
        values: list[str | None] = table.column(name).to_pylist()
        return values if blank is not None else [v or None for v in values]

    labels = column(columns.label, "")
    return RecordChunk(
        source,
        list(range(done + 2, done + 2 + n)),
        column(columns.text, ""),
        [None if v is None else v.strip() or None for v in labels],
        column(columns.id, None),
        column(columns.created, None),
    )
