"""Cleaning filters generation corpora need (and classifiers may use): keep only text
characters, keep only some languages, drop near-duplicates. All of them work on any script;
the tests use Russian.

- ``keep=text_punct``: letters, digits (any script), whitespace and punctuation stay; symbols,
  emoji, private-use and other characters go (Unicode general categories L, N, P, Z kept).
- ``languages``: the language identified by ``py3langid`` (a naive Bayes model over byte
  n-grams that ships inside the package: no download) must be one of them. Short texts are
  hard to identify; a corpus of one-word rows should not use this filter.
- ``near_duplicates``: MinHash LSH (``datasketch``) over character 5-grams of the lowercased
  text, so it needs no word segmentation; a row whose estimated Jaccard similarity with an
  earlier accepted row reaches the threshold is rejected, the earlier row named.
"""

from __future__ import annotations

import threading
import unicodedata
from functools import cache
from typing import Any

__all__ = ["NearDuplicates", "detect_language", "keep_text_punct", "warm_language_identifier"]

_KEPT_CATEGORIES = frozenset("LNPZ")
#: MinHash permutations: the estimate's standard error is about 1 / sqrt(NUM_PERM)
NUM_PERM = 128
SHINGLE = 5


def keep_text_punct(text: str) -> tuple[str, bool]:
    """``text`` without characters that are not letters, digits, whitespace or punctuation;
    and whether any went."""
    kept = "".join(
        ch for ch in text if ch.isspace() or unicodedata.category(ch)[0] in _KEPT_CATEGORIES
    )
    return kept, len(kept) != len(text)


_LOADING = threading.Lock()


@cache
def _load_identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)  # npz, no pickle


def _identifier() -> Any:
    with _LOADING:  # loaded once, whichever thread asks first
        return _load_identifier()


def warm_language_identifier() -> threading.Thread:
    """Load the language identifier in a thread (~0.7 s, mostly decompression and file reads
    that release the GIL), while an ingest reads rows; :func:`detect_language` waits for it."""
    thread = threading.Thread(target=_identifier, name="textops-langid", daemon=True)
    thread.start()
    return thread


def detect_language(text: str) -> tuple[str, float]:
    """ISO 639-1 code and its probability."""
    lang, prob = _identifier().classify(text)
    return str(lang), float(prob)


class NearDuplicates:
    """An LSH index of accepted texts; ``check`` finds an earlier near-duplicate or adds the
    text."""

    def __init__(self, threshold: float) -> None:
        from datasketch import MinHashLSH

        self.threshold = threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        #: each indexed text's signature: LSH returns candidates, the estimate decides
        self._signatures: list[Any] = []
        self._places: list[str] = []

    @staticmethod
    def _minhash(text: str) -> Any:
        from datasketch import MinHash

        t = " ".join(text.lower().split())
        shingles = {t[i : i + SHINGLE] for i in range(max(len(t) - SHINGLE + 1, 1))}
        m = MinHash(num_perm=NUM_PERM, seed=1)
        m.update_batch([s.encode("utf-8") for s in shingles])
        return m

    def check(self, text: str, where: str) -> str | None:
        """The place (``source:line``) of an earlier near-duplicate of ``text``, or None after
        indexing ``text`` as found at ``where``."""
        m = self._minhash(text)
        for key in sorted(self._lsh.query(m)):
            if m.jaccard(self._signatures[key]) >= self.threshold:
                return str(self._places[key])
        self._lsh.insert(len(self._signatures), m)
        self._signatures.append(m)
        self._places.append(where)
        return None
