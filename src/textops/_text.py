"""Text that is not quite text: lone surrogates (from JSON escapes, or bytes a decoder could
not read and ``surrogateescape`` kept), and how to show, repair or refuse them. Shared by the
data stage (ingest), the service (request validation) and the CLI (arguments)."""

from __future__ import annotations

import re

__all__ = ["decode_escaped", "lone_surrogate", "printable"]

# Lone surrogates U+DC80..U+DCFF are how `errors="surrogateescape"` marks undecodable bytes.
_ESCAPED = re.compile("[\udc80-\udcff]+")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _decode_bytes(raw: bytes) -> str:
    out = []
    for b in raw:  # cp1252 leaves five bytes undefined: those are Latin-1 (C1 controls)
        try:
            out.append(bytes([b]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(b))
    return "".join(out)


def decode_escaped(text: str) -> tuple[str, bool]:
    """``text`` with runs of surrogate-escaped bytes (a field that was not valid in the file's
    encoding) decoded as Windows-1252; and whether there were any."""
    if text.isascii() or _ESCAPED.search(text) is None:
        return text, False
    fixed = _ESCAPED.sub(
        lambda m: _decode_bytes(m.group().encode("utf-8", "surrogateescape")), text
    )
    return fixed, True


def lone_surrogate(text: str) -> int | None:
    """The code point of the first lone surrogate in ``text`` (not valid Unicode: it cannot be
    stored or encoded), or None. U+DC80..U+DCFF are bytes the file's encoding could not
    decode (``surrogateescape``)."""
    if text.isascii():
        return None
    m = _SURROGATE.search(text)
    return None if m is None else ord(m.group())


def printable(value: str) -> str:
    """``value`` as valid Unicode for a report or an id: undecodable bytes as ``\\xNN``, other
    lone surrogates as ``\\udNNN`` escapes."""
    if lone_surrogate(value) is None:
        return value
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
