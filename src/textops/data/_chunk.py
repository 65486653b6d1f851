"""Rows of one source as columns: what a reader hands the validator, one chunk at a time.

A reader fills the columns it has (a CSV reader straight from the parsed fields, without a
record object per row); rows it could not read into fields are listed in ``problems``. The
validator screens whole columns at once and builds a :class:`RawRecord` (:meth:`record`) only
for the rows that need looking at one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from textops.data._repair import decode_escaped
from textops.data._schema import RawRecord, RejectReason

__all__ = ["RecordChunk", "fields_chunk"]


@dataclass(slots=True)
class RecordChunk:
    source: str
    #: 1-based line where each row starts (the row number for Parquet)
    lines: list[int]
    texts: list[str | None]
    #: label cells as :func:`~textops.data._columns.as_label` makes them (stripped; blank: None)
    labels: list[str | None]
    ids: list[str | None] | None = None
    created: list[str | None] | None = None
    #: rows the reader could not read into fields, by index: why
    problems: dict[int, tuple[RejectReason, str]] = field(default_factory=dict)
    #: rows whose fields had bytes invalid in the file's encoding decoded (``encoding=auto``)
    repaired: set[int] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.lines)

    def record(self, i: int) -> RawRecord:
        problem = self.problems.get(i)
        return RawRecord(
            self.source,
            self.lines[i],
            self.texts[i],
            self.labels[i],
            None if self.ids is None else self.ids[i],
            None if self.created is None else self.created[i],
            problem=None if problem is None else problem[0],
            detail="" if problem is None else problem[1],
            encoding_repaired=i in self.repaired,
        )

    @classmethod
    def of(cls, source: str, records: Sequence[RawRecord]) -> RecordChunk:
        """The chunk of records a row-by-row reader made."""
        return cls(
            source,
            [r.line for r in records],
            [r.text for r in records],
            [r.label for r in records],
            [r.id for r in records],
            [r.created_at for r in records],
            {i: (r.problem, r.detail) for i, r in enumerate(records) if r.problem is not None},
            {i for i, r in enumerate(records) if r.encoding_repaired},
        )


def fields_chunk(
    source: str,
    rows: list[list[str] | None],
    starts: list[int],
    problems: dict[int, tuple[RejectReason, str]],
    at: tuple[int, int | None, int | None, int | None],
    *,
    decode: bool,
) -> RecordChunk:
    """Parsed CSV rows (None: a row that could not be read) as columns, from the positions
    ``at`` of the text, label, id and created fields; with ``decode`` (``encoding=auto``),
    stray undecodable bytes in texts and labels decoded."""

    def column(i: int | None, blank: str | None) -> list[str | None]:
        if i is None:
            return [None] * len(rows)
        return [None if r is None else r[i] or blank for r in rows]

    ti, li, ii, ci = at
    texts, labels = column(ti, ""), column(li, "")
    repaired: set[int] = set()
    if decode:  # a label is decoded before it is stripped: a stray byte may be a space
        for col in (texts, labels):
            if not "".join(v for v in col if v is not None).isascii():
                for k, v in enumerate(col):
                    if v is not None and not v.isascii():
                        col[k], fixed = decode_escaped(v)
                        if fixed:
                            repaired.add(k)
    return RecordChunk(
        source,
        starts,
        texts,
        [None if v is None else v.strip() or None for v in labels],
        column(ii, None),
        column(ci, None),
        problems,
        repaired,
    )
