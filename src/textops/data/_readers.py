"""Streaming readers: CSV, TSV, JSONL and Parquet files, read in chunks of :class:`RawRecord`.

A reader never holds a whole file: it yields lists of at most ``chunk_rows`` records. Rows that
cannot be turned into fields (a wrong field count, an invalid JSON line) are yielded as records
with ``problem`` set, so they are counted and quarantined like any other reject. A file that
cannot be read at all raises :class:`~textops.errors.DataFormatError` before any row is yielded.
"""

from __future__ import annotations

import csv
import gzip
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from textops._types import JSON
from textops.data._repair import AUTO, SNIFF_BYTES, decode_escaped, sniff_encoding
from textops.data._schema import RawRecord, RejectReason
from textops.errors import DataFormatError

__all__ = [
    "FORMATS",
    "FileSource",
    "MemorySource",
    "RecordSource",
    "detect_format",
    "text_column",
]

FORMATS = ("csv", "tsv", "jsonl", "parquet")
TEXT_CANDIDATES = (
    "text",
    "message",
    "sentence",
    "content",
    "body",
    "review",
    "document",
    "tweet",
    "comment",
    "utterance",
    "question",
    "post",
)
LABEL_CANDIDATES = (
    "label",
    "labels",
    "class",
    "category",
    "target",
    "intent",
    "sentiment",
    "polarity",
    "emotion",
    "stance",
    "topic",
    "queue",
    "y",
)
ID_CANDIDATES = ("id",)
CREATED_CANDIDATES = ("created_at", "timestamp", "created", "date")
#: a share of NUL bytes in a file's head above which it is binary (or UTF-16 without a BOM),
#: not a text file with a damaged row
BINARY_NUL_SHARE = 0.01
#: C0 control bytes that text files do not hold (all but tab, line breaks, form feed, escape)
_BINARY_BYTES = tuple(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27))

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class RecordSource(Protocol):
    """Anything that yields raw records in chunks: a file, or rows a built-in loader produced."""

    @property
    def name(self) -> str: ...

    def describe(self) -> JSON: ...

    def chunks(self, chunk_rows: int) -> Iterator[list[RawRecord]]: ...


def text_column(columns: Sequence[str]) -> str | None:
    """The column that holds the texts, by the usual names (text, message, body, tweet, ...)."""
    lowered = {c.lower(): c for c in columns}
    return next((lowered[c] for c in TEXT_CANDIDATES if c in lowered), None)


def detect_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    ext = suffixes[-1] if suffixes else ""
    by_ext = {
        ".csv": "csv",
        ".tsv": "tsv",
        ".tab": "tsv",
        ".jsonl": "jsonl",
        ".ndjson": "jsonl",
        ".json": "jsonl",
        ".parquet": "parquet",
        ".pq": "parquet",
    }
    if ext not in by_ext:
        raise DataFormatError(
            f"{path}: cannot tell the format from the extension {ext or '(none)'!r}; "
            f"rename the file or pass --format with one of {', '.join(FORMATS)}"
        )
    return by_ext[ext]


def _pick(
    columns: Sequence[str],
    wanted: str | None,
    candidates: Sequence[str],
    what: str,
    path: Path,
    required: bool,
) -> str | None:
    if wanted is not None:
        if wanted in columns:
            return wanted
        raise DataFormatError(
            f"{path}: no column {wanted!r} for the {what}; the file has columns "
            f"{list(columns)}. Pass the right --{what}-col."
        )
    lowered = {c.lower(): c for c in columns}
    for cand in candidates:
        if cand in lowered:
            return lowered[cand]
    if what == "id":
        # ticket_id, message_id, userId: the id column when it is the only one so named
        named = [c for c in columns if c.lower().endswith(("_id", "-id")) or c.endswith("Id")]
        if len(named) == 1:
            return named[0]
    if required:
        raise DataFormatError(
            f"{path}: found no {what} column among {list(columns)}; pass --{what}-col NAME"
        )
    return None


def _as_label(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bytes):
        value = value.decode("utf-8", "surrogateescape")
    text = str(value).strip()
    return text or None


def _as_text(value: Any) -> tuple[str | None, str]:
    """Return (text, problem detail); detail is non-empty when the value is not text-like."""
    if value is None:
        return None, ""
    if isinstance(value, str):
        return value, ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape"), ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value), ""
    return None, f"text is a {type(value).__name__}, not a string"


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
    _resolved: dict[str, str | None] = field(default_factory=dict, repr=False)
    _encoding_used: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if not self.path.is_file():
            raise DataFormatError(f"{self.path}: no such file")
        self.format = self.format or detect_format(self.path)
        if self.format not in FORMATS:
            raise DataFormatError(f"{self.path}: unknown format {self.format!r}; use {FORMATS}")
        if self.encoding != AUTO:
            import codecs

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
            "columns": dict(self._resolved),
        }
        if self._encoding_used is not None:
            out["encoding"] = self._encoding_used
            out["encoding_detected"] = self.encoding == AUTO
        return out

    def _resolve(self, columns: Sequence[str]) -> tuple[str, str, str | None, str | None]:
        text = _pick(columns, self.text_col, TEXT_CANDIDATES, "text", self.path, True)
        label = _pick(columns, self.label_col, LABEL_CANDIDATES, "label", self.path, True)
        ident = _pick(columns, self.id_col, ID_CANDIDATES, "id", self.path, False)
        created = _pick(columns, self.created_col, CREATED_CANDIDATES, "created", self.path, False)
        assert text is not None and label is not None
        if text == label:
            raise DataFormatError(f"{self.path}: text and label cannot be the same column {text!r}")
        self._resolved = {"text": text, "label": label, "id": ident, "created_at": created}
        return text, label, ident, created

    # -- opening ---------------------------------------------------------------------------
    def _head(self) -> bytes:
        opener: Any = gzip.open if self.path.suffix.lower() == ".gz" else open
        try:
            with opener(self.path, "rb") as fh:
                head: bytes = fh.read(SNIFF_BYTES)
                return head
        except (OSError, EOFError) as exc:
            raise DataFormatError(f"{self.path}: cannot be read ({exc})") from exc

    def _open_text(self) -> IO[str]:
        head = self._head()
        self._check_not_binary(head)
        encoding = sniff_encoding(head) if self.encoding == AUTO else self.encoding
        self._encoding_used = encoding
        if self.path.suffix.lower() == ".gz":
            return gzip.open(
                self.path, "rt", encoding=encoding, errors="surrogateescape", newline=""
            )
        return self.path.open("r", encoding=encoding, errors="surrogateescape", newline="")

    def _check_not_binary(self, head: bytes) -> None:
        """A binary file (Parquet, a zip, an image) stops the ingest; one damaged row in a
        text file does not: only a share of NUL bytes above ``BINARY_NUL_SHARE`` counts."""
        import codecs

        wide = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
            self.encoding.lower().replace("_", "-").startswith(("utf-16", "utf-32"))
        )
        sample = head[:65536]
        n = max(len(sample), 1)
        controls = sum(sample.count(b) for b in _BINARY_BYTES)
        if head.startswith((b"PAR1", b"PK\x03\x04", b"\x89PNG", b"%PDF")) or (
            not wide and (sample.count(0) > BINARY_NUL_SHARE * n or controls > 0.1 * n)
        ):
            raise DataFormatError(
                f"{self.path}: looks like a binary file, not {self.format} text "
                "(or UTF-16 text without a byte-order mark: pass --encoding utf-16); "
                "check the file or pass the right --format"
            )

    def _field(self, value: str) -> tuple[str, bool]:
        """A text field as read; in ``auto`` mode with stray undecodable bytes decoded."""
        if self.encoding != AUTO:
            return value, False
        return decode_escaped(value)

    # -- chunks ----------------------------------------------------------------------------
    def chunks(self, chunk_rows: int) -> Iterator[list[RawRecord]]:
        if self.format in ("csv", "tsv"):
            rows = self._delimited("," if self.format == "csv" else "\t")
        elif self.format == "jsonl":
            rows = self._jsonl()
        else:
            rows = self._parquet(chunk_rows)
        chunk: list[RawRecord] = []
        for rec in rows:
            chunk.append(rec)
            if len(chunk) >= chunk_rows:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def _delimited(self, delimiter: str) -> Iterator[RawRecord]:
        src = self.name
        with self._open_text() as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            try:
                header = next(reader)
            except StopIteration:
                raise DataFormatError(f"{self.path}: the file is empty (no header row)") from None
            except csv.Error as exc:
                raise DataFormatError(
                    f"{self.path}: header is not valid {self.format}: {exc}"
                ) from exc
            header = [h.strip() for h in header]
            t, lab, ident, created = self._resolve(header)
            ti, li = header.index(t), header.index(lab)
            ii = header.index(ident) if ident else None
            ci = header.index(created) if created else None
            width = len(header)
            prev = reader.line_num
            while True:
                start = prev + 1
                try:
                    fields = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    prev = reader.line_num
                    yield RawRecord(
                        src,
                        start,
                        None,
                        None,
                        problem=RejectReason.MALFORMED_ROW,
                        detail=f"unparseable {self.format} row: {exc}",
                    )
                    continue
                prev = reader.line_num
                if not fields:  # a blank line is not a row
                    continue
                if len(fields) != width:
                    yield RawRecord(
                        src,
                        start,
                        None,
                        None,
                        problem=RejectReason.MALFORMED_ROW,
                        detail=f"expected {width} fields, found {len(fields)}",
                    )
                    continue
                text, fixed = self._field(fields[ti])
                label, fixed_label = self._field(fields[li])
                yield RawRecord(
                    src,
                    start,
                    text,
                    _as_label(label),
                    fields[ii] or None if ii is not None else None,
                    fields[ci] or None if ci is not None else None,
                    encoding_repaired=fixed or fixed_label,
                )

    def _jsonl(self) -> Iterator[RawRecord]:
        src = self.name
        resolved: tuple[str, str, str | None, str | None] | None = None
        parsed_any = False
        with self._open_text() as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except ValueError as exc:
                    yield RawRecord(
                        src,
                        lineno,
                        None,
                        None,
                        problem=RejectReason.MALFORMED_ROW,
                        detail=f"invalid JSON: {exc}",
                    )
                    continue
                if not isinstance(obj, dict):
                    yield RawRecord(
                        src,
                        lineno,
                        None,
                        None,
                        problem=RejectReason.MALFORMED_ROW,
                        detail=f"a JSON line must be an object, got {type(obj).__name__}",
                    )
                    continue
                if resolved is None:
                    resolved = self._resolve(list(obj))
                parsed_any = True
                t, lab, ident, created = resolved
                text, why = _as_text(obj.get(t))
                if why:
                    yield RawRecord(
                        src, lineno, None, None, problem=RejectReason.MALFORMED_ROW, detail=why
                    )
                    continue
                ident_v = obj.get(ident) if ident else None
                created_v = obj.get(created) if created else None
                fixed = False
                if text is not None:
                    text, fixed = self._field(text)
                label = _as_label(obj.get(lab))
                if label is not None:
                    label, fixed_label = self._field(label)
                    fixed = fixed or fixed_label
                yield RawRecord(
                    src,
                    lineno,
                    text,
                    label,
                    None if ident_v is None else str(ident_v),
                    None if created_v is None else str(created_v),
                    encoding_repaired=fixed,
                )
        if not parsed_any and resolved is None:
            raise DataFormatError(
                f"{self.path}: no line is a JSON object; is this really JSONL (one object per line)?"
            )

    def _parquet(self, chunk_rows: int) -> Iterator[RawRecord]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        src = self.name
        try:
            pf = pq.ParquetFile(self.path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise DataFormatError(f"{self.path}: not a readable Parquet file ({exc})") from exc
        t, lab, ident, created = self._resolve(pf.schema_arrow.names)
        cols = [c for c in (t, lab, ident, created) if c is not None]
        row = 0
        for batch in pf.iter_batches(batch_size=chunk_rows, columns=list(dict.fromkeys(cols))):
            data = batch.to_pydict()
            texts, labels = data[t], data[lab]
            ids = data[ident] if ident else [None] * len(texts)
            created_v = data[created] if created else [None] * len(texts)
            for text_v, label_v, id_v, c_v in zip(texts, labels, ids, created_v, strict=True):
                row += 1
                text, why = _as_text(text_v)
                if why:
                    yield RawRecord(
                        src, row, None, None, problem=RejectReason.MALFORMED_ROW, detail=why
                    )
                    continue
                yield RawRecord(
                    src,
                    row,
                    text,
                    _as_label(label_v),
                    None if id_v is None else str(id_v),
                    None if c_v is None else str(c_v),
                )


@dataclass
class MemorySource:
    """Rows already in memory as ``(text, label)`` pairs, e.g. from a built-in dataset loader."""

    source_name: str
    rows: Iterable[tuple[str | None, str | None]]
    origin: str = ""

    @property
    def name(self) -> str:
        return self.source_name

    def describe(self) -> JSON:
        return {"path": self.origin or self.source_name, "format": "builtin"}

    def chunks(self, chunk_rows: int) -> Iterator[list[RawRecord]]:
        chunk: list[RawRecord] = []
        for i, (text, label) in enumerate(self.rows, start=1):
            chunk.append(RawRecord(self.source_name, i, text, _as_label(label)))
            if len(chunk) >= chunk_rows:
                yield chunk
                chunk = []
        if chunk:
            yield chunk
