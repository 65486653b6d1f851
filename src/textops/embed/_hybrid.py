"""Hybrid: a sparse TF-IDF view and a dense sentence-embedding view of each text, side by side.

TF-IDF sees the exact words and character n-grams (names, codes, spam tricks); a sentence
encoder sees meaning across paraphrases. A linear head on both views at once learns one weight
per n-gram and per embedding dimension: in a one-off check on the three built-in datasets
(logistic regression, C by 5-fold CV), word + character TF-IDF with MiniLM beat the better of
the two views alone by 1.1 (BBC), 1.4 (SMS) and 3.7 (TREC) test macro-F1 points. The dense
view comes from the embedding cache (computed once, shared with MiniLM's own entries); the
sparse one is fitted on the training texts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np

from textops._types import JSON, Features, Target
from textops.embed._base import Embedder, library_versions

__all__ = ["HybridEmbedder"]


class HybridEmbedder(Embedder):
    """``[sparse view | dense_weight * dense view]``: the sparse view as its embedder gives it
    (``tfidf_wc``: unit rows), the dense view's rows scaled to length ``dense_weight``. Both
    views are embedder objects (the table composes ``tfidf_minilm`` from its own entries); the
    dense one's model loads on its first transform and is never saved: a loaded hybrid holds
    the dense embedder's parameters only, and loads the model again on first use.
    """

    numeric_libraries: ClassVar[tuple[str, ...]] = ("numpy", "scikit-learn", "scipy")
    cacheable: ClassVar[bool] = False
    requires_fit: ClassVar[bool] = True
    sparse_output: ClassVar[bool] = True
    loads_model: ClassVar[bool] = True

    def __init__(
        self,
        *,
        sparse: Embedder | None = None,
        dense: Embedder | None = None,
        dense_weight: float = 0.5,
    ) -> None:
        self.sparse = sparse
        self.dense = dense
        self.dense_weight = dense_weight

    # -- the two views -----------------------------------------------------------------------
    def dense_embedder(self) -> Embedder:
        """The dense view's embedder (its model loads on its first transform)."""
        emb = self.dense
        if not isinstance(emb, Embedder) or not emb.cacheable or emb.requires_fit:
            raise ValueError(f"the dense view must be a cacheable, unfitted embedder, not {emb!r}")
        return emb

    def cached_parts(self) -> list[Embedder]:
        return [self.dense_embedder()]

    def combine(self, sparse_rows: Features, dense_rows: np.ndarray) -> Features:
        """One CSR matrix of both views: the sparse rows, then the dense rows scaled to length
        ``dense_weight``, float32."""
        import scipy.sparse as sp

        dense = np.asarray(dense_rows, dtype=np.float32)
        norms = np.linalg.norm(dense, axis=1, keepdims=True)
        dense = dense * (np.float32(self.dense_weight) / np.maximum(norms, np.float32(1e-12)))
        return sp.hstack([sparse_rows, sp.csr_matrix(dense)], format="csr", dtype=np.float32)

    # -- the Embedder contract -----------------------------------------------------------------
    def fit(self, texts: Sequence[str], y: Target | None = None) -> HybridEmbedder:
        from sklearn.base import clone

        if not isinstance(self.sparse, Embedder) or not self.sparse.sparse_output:
            raise ValueError(f"the sparse view must be a sparse embedder, not {self.sparse!r}")
        self.sparse_ = clone(self.sparse).fit(list(texts))
        return self

    def _sparse_view(self) -> Embedder:
        view: Embedder | None = getattr(self, "sparse_", None)
        if view is None:
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("HybridEmbedder must be fitted on training texts first")
        return view

    def encode_parts(self, texts: list[str], encode: Callable[[Embedder], np.ndarray]) -> Features:
        sparse_rows = self._sparse_view().transform(texts)
        return self.combine(sparse_rows, encode(self.dense_embedder()))

    def _encode(self, texts: list[str]) -> Any:
        return self.encode_parts(texts, lambda part: part.transform(texts))

    def _model_id(self) -> str:
        view = getattr(self, "sparse_", None)
        return "sparse:" + ("unfitted" if view is None else view.identity()["model"])

    def identity(self) -> JSON:
        """The sparse view's fitted identity, and the dense view's model, options and
        libraries."""
        dense = self.dense_embedder().identity()
        sparse = self.sparse.get_params() if isinstance(self.sparse, Embedder) else None
        return {
            "backend": "_hybrid.HybridEmbedder",
            "model": f"{self._model_id()}+dense:{dense['model']}",
            "options": {
                "dense_weight": self.dense_weight,
                "sparse": {"class": type(self.sparse).__name__, "params": sparse},
                "dense": {"class": type(self.dense).__name__, "options": dense["options"]},
            },
            "libraries": {**library_versions(self.numeric_libraries), **dense["libraries"]},
        }

    def __getstate__(self) -> dict[str, object]:
        # the dense view's loaded transformer is never saved: its parameters are
        from sklearn.base import clone

        state = dict(super().__getstate__())
        if isinstance(state.get("dense"), Embedder):
            state["dense"] = clone(state["dense"])
        state.pop("_dense", None)
        return state
