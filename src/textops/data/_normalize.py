"""Text normalisation and the character checks that run before it."""

from __future__ import annotations

import re
import unicodedata

from textops.data._schema import NormalizationOptions

__all__ = ["find_control_char", "has_undecodable_bytes", "normalize_text"]

# Lone surrogates U+DC80..U+DCFF are how `errors="surrogateescape"` marks undecodable bytes.
_SURROGATE = re.compile("[\udc80-\udcff]")
# C0 and C1 controls and DEL, except tab, newline and carriage return.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_undecodable_bytes(text: str) -> bool:
    return not text.isascii() and _SURROGATE.search(text) is not None


def find_control_char(text: str) -> str | None:
    """The first forbidden control character, as ``U+XXXX``, or None."""
    m = _CONTROL.search(text)
    return None if m is None else f"U+{ord(m.group()):04X}"


def normalize_text(text: str, options: NormalizationOptions) -> str:
    if options.unicode_form != "none" and not text.isascii():
        text = unicodedata.normalize(options.unicode_form, text)  # type: ignore[arg-type]
    if options.collapse_whitespace:
        text = " ".join(text.split())  # str.split() splits on runs of Unicode whitespace
    if options.lowercase:
        text = text.lower()
    return text
