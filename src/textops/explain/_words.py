"""Words as explanations name them: whitespace-separated pieces of the text, with their
character spans, so a highlighted text is the original text and not a re-tokenisation.

Removing words (occlusion, ERASER's comprehensiveness and sufficiency) joins the kept words
with one space: the same rule for every method, so their scores compare."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

__all__ = ["join_words", "split_words", "without_words"]

_WORD = re.compile(r"\S+")


def split_words(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` character span of every word of ``text``."""
    return [m.span() for m in _WORD.finditer(text)]


def join_words(words: Sequence[str], keep: Iterable[int]) -> str:
    """The text made of ``words[i]`` for each ``i`` in ``keep``, in text order."""
    return " ".join(words[i] for i in sorted(keep))


def without_words(words: Sequence[str], drop: Iterable[int]) -> str:
    """The text without the words at ``drop``."""
    gone = set(drop)
    return " ".join(w for i, w in enumerate(words) if i not in gone)
