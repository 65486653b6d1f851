"""TF-IDF: a sparse bag of word (or character) n-grams, fitted on the training texts. Cheap, so
never cached."""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

import numpy as np

from textops.embed._base import Embedder

__all__ = ["TfidfEmbedder", "WordCharTfidfEmbedder"]


class _SparseFitted(Embedder):
    """What every TF-IDF embedder is: fitted on the train split, sparse, never cached."""

    numeric_libraries: ClassVar[tuple[str, ...]] = ("numpy", "scikit-learn", "scipy")
    runtime_params: ClassVar[frozenset[str]] = frozenset()
    cacheable: ClassVar[bool] = False
    requires_fit: ClassVar[bool] = True
    sparse_output: ClassVar[bool] = True


class TfidfEmbedder(_SparseFitted):
    """scikit-learn ``TfidfVectorizer``; ``transform`` returns a SciPy CSR matrix."""

    def __init__(
        self,
        *,
        max_features: int | None = 50_000,
        ngram_min: int = 1,
        ngram_max: int = 2,
        min_df: int = 1,
        sublinear_tf: bool = True,
        analyzer: str = "word",
    ) -> None:
        self.max_features = max_features
        self.ngram_min = ngram_min
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf
        self.analyzer = analyzer

    def fit(self, texts: Any, y: Any = None) -> TfidfEmbedder:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer_ = TfidfVectorizer(
            max_features=self.max_features,
            ngram_range=(self.ngram_min, self.ngram_max),
            min_df=self.min_df,
            sublinear_tf=self.sublinear_tf,
            analyzer=self.analyzer,
            dtype=np.float32,
        ).fit(list(texts))
        # plain ints: skops writes a numpy scalar as its own file in the archive, and saving
        # 40k of them took ~30 s (a dict of str -> int is one JSON entry)
        vec = self.vectorizer_
        vec.vocabulary_ = {term: int(idx) for term, idx in vec.vocabulary_.items()}
        return self

    def _encode(self, texts: list[str]) -> Any:
        vec = getattr(self, "vectorizer_", None)
        if vec is None:
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("TfidfEmbedder must be fitted on training texts first")
        return vec.transform(texts)

    def _model_id(self) -> str:
        vec = getattr(self, "vectorizer_", None)
        if vec is None:
            return "unfitted"
        h = hashlib.sha256()
        for term, idx in sorted(vec.vocabulary_.items()):
            h.update(f"{term}\0{idx}\n".encode())
        h.update(vec.idf_.tobytes())
        return "vocab-sha256:" + h.hexdigest()


class WordCharTfidfEmbedder(_SparseFitted):
    """Word n-gram and character n-gram TF-IDF side by side (each row L2-normalised within its
    half, the whole row then unit length): what the words say, and what survives misspelling
    and obfuscation. Both halves are :class:`TfidfEmbedder`s."""

    def __init__(
        self,
        *,
        max_features: int | None = 50_000,
        word_ngram_max: int = 2,
        char_ngram_min: int = 2,
        char_ngram_max: int = 5,
    ) -> None:
        self.max_features = max_features
        self.word_ngram_max = word_ngram_max
        self.char_ngram_min = char_ngram_min
        self.char_ngram_max = char_ngram_max

    def fit(self, texts: Any, y: Any = None) -> WordCharTfidfEmbedder:
        texts = list(texts)
        self.word_ = TfidfEmbedder(
            max_features=self.max_features, ngram_max=self.word_ngram_max
        ).fit(texts)
        self.char_ = TfidfEmbedder(
            max_features=self.max_features,
            analyzer="char_wb",
            ngram_min=self.char_ngram_min,
            ngram_max=self.char_ngram_max,
        ).fit(texts)
        return self

    def _encode(self, texts: list[str]) -> Any:
        import scipy.sparse as sp

        if getattr(self, "word_", None) is None:
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("WordCharTfidfEmbedder must be fitted on training texts first")
        both = sp.hstack([self.word_._encode(texts), self.char_._encode(texts)], format="csr")
        return both * np.float32(1 / np.sqrt(2))  # float32 halves stay float32

    def _model_id(self) -> str:
        if getattr(self, "word_", None) is None:
            return "unfitted"
        return f"word:{self.word_._model_id()}+char:{self.char_._model_id()}"
