"""TF-IDF: a sparse bag of word (or character) n-grams, fitted on the training texts. Cheap, so
never cached."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from textops._types import Target
from textops.embed._base import Embedder, FoldViews

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

    def fit(self, texts: Sequence[str], y: Target | None = None) -> TfidfEmbedder:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer_ = TfidfVectorizer(
            max_features=self.max_features,
            ngram_range=(self.ngram_min, self.ngram_max),
            min_df=self.min_df,
            sublinear_tf=self.sublinear_tf,
            analyzer=self.analyzer,
            dtype=np.float32,
        ).fit(list(texts))
        return self

    # -- saved state: the vocabulary as two arrays ---------------------------------------------
    # skops writes a dict as a JSON tree of typed nodes (~600 bytes per entry; a numpy int
    # value is even its own archive member): a word + character vocabulary of 100k terms made
    # a 60 MB model that took 5 s to save (a one-off check). Saved instead: the terms as one
    # UTF-8 byte array with offsets, in vocabulary index order.
    def __getstate__(self) -> dict[str, object]:
        import copy

        state = dict(super().__getstate__())
        vec: Any = state.get("vectorizer_")
        vocab = getattr(vec, "vocabulary_", None)
        if vocab:
            terms = sorted(vocab, key=vocab.__getitem__)
            encoded = [t.encode("utf-8", "surrogatepass") for t in terms]
            state["vocabulary_utf8_"] = np.frombuffer(b"".join(encoded), dtype=np.uint8).copy()
            state["vocabulary_ends_"] = np.cumsum([len(e) for e in encoded], dtype=np.int64)
            saved = copy.copy(vec)
            saved.vocabulary_ = {}
            state["vectorizer_"] = saved
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        state = dict(state)
        data, ends = state.pop("vocabulary_utf8_", None), state.pop("vocabulary_ends_", None)
        super().__setstate__(state)
        if data is not None and ends is not None:
            raw = np.asarray(data, dtype=np.uint8).tobytes()
            ends = np.asarray(ends, dtype=np.int64)
            starts = np.concatenate([[0], ends[:-1]])
            self.vectorizer_.vocabulary_ = {
                raw[a:b].decode("utf-8", "surrogatepass"): i
                for i, (a, b) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True))
            }

    def fold_views(self, texts: list[str]) -> FoldViews:
        from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

        counts = CountVectorizer(
            ngram_range=(self.ngram_min, self.ngram_max),
            analyzer=self.analyzer,
            dtype=np.float32,
        ).fit_transform(list(texts))  # columns in sorted term order, as a fit's vocabulary

        def views(tr: np.ndarray, va: np.ndarray) -> tuple[Any, Any]:
            # the vocabulary a fit on the tr rows keeps (CountVectorizer._limit_features: terms
            # in min_df+ of them, then the max_features most frequent), then sklearn's own
            # TfidfTransformer fitted on their counts
            train = counts[tr]
            df = np.bincount(train.indices, minlength=counts.shape[1])
            keep = (df >= self.min_df) & (df > 0)
            if self.max_features is not None and keep.sum() > self.max_features:
                totals = np.asarray(train.sum(axis=0)).ravel()
                top = (-totals[keep]).argsort()[: self.max_features]
                limited = np.zeros_like(keep)
                limited[np.flatnonzero(keep)[top]] = True
                keep = limited
            cols = np.flatnonzero(keep)
            tfidf = TfidfTransformer(sublinear_tf=self.sublinear_tf).fit(train[:, cols])
            return tfidf.transform(train[:, cols]), tfidf.transform(counts[va][:, cols])

        return views

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

    def _halves(self) -> tuple[TfidfEmbedder, TfidfEmbedder]:
        word = TfidfEmbedder(max_features=self.max_features, ngram_max=self.word_ngram_max)
        char = TfidfEmbedder(
            max_features=self.max_features,
            analyzer="char_wb",
            ngram_min=self.char_ngram_min,
            ngram_max=self.char_ngram_max,
        )
        return word, char

    @staticmethod
    def _side_by_side(word: Any, char: Any) -> Any:
        import scipy.sparse as sp

        both = sp.hstack([word, char], format="csr")
        return both * np.float32(1 / np.sqrt(2))  # float32 halves stay float32

    def fit(self, texts: Sequence[str], y: Target | None = None) -> WordCharTfidfEmbedder:
        texts = list(texts)
        word, char = self._halves()
        self.word_ = word.fit(texts)
        self.char_ = char.fit(texts)
        return self

    def fold_views(self, texts: list[str]) -> FoldViews:
        word, char = (half.fold_views(texts) for half in self._halves())

        def views(tr: np.ndarray, va: np.ndarray) -> tuple[Any, Any]:
            (w_tr, w_va), (c_tr, c_va) = word(tr, va), char(tr, va)
            return self._side_by_side(w_tr, c_tr), self._side_by_side(w_va, c_va)

        return views

    def _encode(self, texts: list[str]) -> Any:
        if getattr(self, "word_", None) is None:
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("WordCharTfidfEmbedder must be fitted on training texts first")
        return self._side_by_side(self.word_._encode(texts), self.char_._encode(texts))

    def _model_id(self) -> str:
        if getattr(self, "word_", None) is None:
            return "unfitted"
        return f"word:{self.word_._model_id()}+char:{self.char_._model_id()}"
