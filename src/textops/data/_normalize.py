"""Text normalisation: Unicode form, whitespace and case, as the manifest records them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from textops.data._repair import clean_text
from textops.data._schema import NormalizationOptions, TextDecoding

__all__ = ["normalize_text", "prepare_texts"]


_SURROGATE = re.compile("[\ud800-\udfff]")


def normalize_text(text: str, options: NormalizationOptions) -> str:
    """``text`` as the dataset's options normalise it. A lone surrogate (which no encoder or
    tokenizer accepts; ingest quarantines such rows) becomes U+FFFD, so a model given one
    still answers."""
    if not text.isascii():
        text = _SURROGATE.sub("\ufffd", text)
    if options.unicode_form != "none" and not text.isascii():
        text = unicodedata.normalize(options.unicode_form, text)  # type: ignore[arg-type]
    if options.collapse_whitespace:
        text = " ".join(text.split())  # str.split() splits on runs of Unicode whitespace
    if options.lowercase:
        text = text.lower()
    return text


def prepare_texts(
    texts: Sequence[str], normalization: NormalizationOptions, decoding: TextDecoding | None
) -> list[str]:
    """``texts`` as a dataset stores them: repaired as its texts were (mojibake, control
    characters, HTML entities when asked; ``decoding`` None: not repaired, as models saved
    before textops recorded it), then normalised. One function for training and prediction."""
    if decoding is not None:
        texts = [clean_text(t, decoding) for t in texts]
    return [normalize_text(t, normalization) for t in texts]
