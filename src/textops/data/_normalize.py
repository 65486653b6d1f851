"""Text normalisation: Unicode form, whitespace and case, as the manifest records them."""

from __future__ import annotations

import unicodedata

from textops.data._schema import NormalizationOptions

__all__ = ["normalize_text"]


def normalize_text(text: str, options: NormalizationOptions) -> str:
    if options.unicode_form != "none" and not text.isascii():
        text = unicodedata.normalize(options.unicode_form, text)  # type: ignore[arg-type]
    if options.collapse_whitespace:
        text = " ".join(text.split())  # str.split() splits on runs of Unicode whitespace
    if options.lowercase:
        text = text.lower()
    return text
