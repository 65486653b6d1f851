"""Opening a user's file: its format from the name, its first bytes, and the check that it is
text at all. Shared by ingest's streaming readers and batch prediction's tables."""

from __future__ import annotations

import codecs
import gzip
import io
from pathlib import Path
from typing import IO, cast

from textops._option import option
from textops.data._repair import AUTO, SNIFF_BYTES, EncodingGuess, guess_encoding
from textops.errors import DataFormatError

__all__ = [
    "FORMATS",
    "check_not_binary",
    "choose_encoding",
    "detect_format",
    "open_binary",
    "open_text",
    "read_head",
]

FORMATS = ("csv", "tsv", "jsonl", "parquet")
_BY_EXTENSION = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
#: the extensions a data file is read by (before an optional .gz)
TABLE_EXTENSIONS = tuple(_BY_EXTENSION)
#: a share of NUL bytes in a file's head above which it is binary (or UTF-16 without a BOM),
#: not a text file with a damaged row
BINARY_NUL_SHARE = 0.01
#: C0 control bytes that text files do not hold (all but tab, line breaks, form feed, escape)
_BINARY_BYTES = tuple(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27))
_BINARY_MAGIC = (b"PAR1", b"PK\x03\x04", b"\x89PNG", b"%PDF")


def detect_format(path: Path) -> str:
    """``csv``, ``tsv``, ``jsonl`` or ``parquet`` from the extension (a ``.gz`` after it too)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    ext = suffixes[-1] if suffixes else ""
    if ext not in _BY_EXTENSION:
        raise DataFormatError(
            f"{path}: cannot tell the format from the extension {ext or '(none)'!r}; "
            f"rename the file or name one of {', '.join(FORMATS)}: " + option("format", "csv")
        )
    return _BY_EXTENSION[ext]


def _gzipped(path: Path) -> bool:
    return path.suffix.lower() == ".gz"


def open_binary(path: Path) -> IO[bytes]:
    """``path`` for reading bytes, decompressed when it ends in ``.gz``."""
    if _gzipped(path):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def read_head(path: Path) -> bytes:
    """The first ``SNIFF_BYTES`` (decompressed): what encoding detection and the binary check
    read. A file that cannot be read is a :class:`DataFormatError`."""
    try:
        with open_binary(path) as fh:
            return fh.read(SNIFF_BYTES)
    except (OSError, EOFError) as exc:
        raise DataFormatError(f"{path}: cannot be read ({exc})") from exc


def choose_encoding(head: bytes, encoding: str, prefer: str | None = None) -> EncodingGuess:
    """The encoding to read a file with: ``encoding`` when named; with ``auto``, the file's own
    when it is Unicode, else ``prefer`` when given (the encoding a model's training data was
    read with: the same bytes decode the same way at ingest and at prediction), else the
    guess from its head."""
    if encoding != AUTO:
        return EncodingGuess(encoding, True, "given")
    guess = guess_encoding(head)
    legacy_file = not guess.encoding.startswith("utf")
    if legacy_file and prefer and not prefer.lower().startswith(("utf", "auto")):
        return EncodingGuess(prefer, True, "the encoding the model's training data had")
    return guess


def open_text(
    path: Path, fmt: str, encoding: str, prefer: str | None = None
) -> tuple[IO[str], EncodingGuess]:
    """``path`` as text in ``encoding`` (``auto``: see :func:`choose_encoding`), undecodable
    bytes kept as surrogate escapes for the repair step; returns the stream and the encoding
    chosen. A binary file is refused first (:func:`check_not_binary`)."""
    head = read_head(path)
    check_not_binary(head, path, fmt, encoding)
    chosen = choose_encoding(head, encoding, prefer)
    raw = open_binary(path)
    stream = io.TextIOWrapper(raw, encoding=chosen.encoding, errors="surrogateescape", newline="")
    return stream, chosen


def check_not_binary(head: bytes, path: Path, fmt: str, encoding: str = AUTO) -> None:
    """A binary file (Parquet, a zip, an image) stops the ingest; one damaged row in a text
    file does not: only a share of NUL bytes above ``BINARY_NUL_SHARE`` counts."""
    wide = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
        encoding.lower().replace("_", "-").startswith(("utf-16", "utf-32"))
    )
    sample = head[:65536]
    n = max(len(sample), 1)
    controls = sum(sample.count(b) for b in _BINARY_BYTES)
    if head.startswith(_BINARY_MAGIC) or (
        not wide and (sample.count(0) > BINARY_NUL_SHARE * n or controls > 0.1 * n)
    ):
        raise DataFormatError(
            f"{path}: looks like a binary file, not {fmt} text "
            "(or UTF-16 text without a byte-order mark: " + option("encoding", "utf-16") + "); "
            "check the file or name its format: " + option("format", "FORMAT")
        )
