"""The hybrid embedder: both views side by side, the dense one from the cache, saved without
its model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from textops.embed import EmbeddingCache, HybridEmbedder, encode_texts, make_embedder
from textops.embed._fake import HashingFakeEmbedder
from textops.model._skops import skops_dump as _skops_dump
from textops.model._skops import skops_load as _skops_load

TEXTS = [
    "free prize, call now",
    "lunch at noon?",
    "who wrote hamlet",
    "claim your free cruise",
    "see you at the meeting",
]


def _hybrid(**kw: object) -> HybridEmbedder:
    # word TF-IDF and the hashing fake: the same code paths as tfidf_wc + MiniLM, in milliseconds
    return HybridEmbedder(sparse=make_embedder("tfidf"), dense=make_embedder("fake"), **kw).fit(
        TEXTS
    )  # type: ignore[arg-type]


def test_rows_are_the_sparse_view_then_the_dense_view_scaled_to_its_weight() -> None:
    emb = _hybrid(dense_weight=0.5)
    out = emb.transform(TEXTS)
    sparse = make_embedder("tfidf").fit(TEXTS).transform(TEXTS).toarray()
    dense = make_embedder("fake").transform(TEXTS)
    assert out.dtype == np.float32
    assert out.shape == (len(TEXTS), sparse.shape[1] + dense.shape[1])
    full = out.toarray()
    np.testing.assert_allclose(full[:, : sparse.shape[1]], sparse, atol=1e-6)
    tail = full[:, sparse.shape[1] :]
    np.testing.assert_allclose(np.linalg.norm(tail, axis=1), 0.5, atol=1e-5)
    unit = dense / np.linalg.norm(dense, axis=1, keepdims=True)
    np.testing.assert_allclose(tail, 0.5 * unit, atol=1e-5)


def test_the_dense_view_comes_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = EmbeddingCache(tmp_path)
    emb = _hybrid()
    cold = encode_texts(emb, TEXTS, cache)
    first = cold.vectors
    assert (cold.hits, cold.misses) == (0, len(TEXTS))  # the dense half's, encoded now
    # the fake's own space now holds every text: the dense view was encoded into the cache
    assert encode_texts(make_embedder("fake"), TEXTS, cache).hits == len(TEXTS)
    calls: list[int] = []
    original = HashingFakeEmbedder._encode

    def counting(self: HashingFakeEmbedder, texts: list[str]) -> np.ndarray:
        calls.append(len(texts))
        return original(self, texts)

    monkeypatch.setattr(HashingFakeEmbedder, "_encode", counting)
    warm = encode_texts(emb, TEXTS, cache)
    again = warm.vectors
    assert calls == [] and (warm.hits, warm.misses) == (len(TEXTS), 0)  # all read back
    np.testing.assert_array_equal(again.toarray(), first.toarray())
    np.testing.assert_allclose(emb.transform(TEXTS).toarray(), first.toarray(), atol=1e-6)
    assert calls == [len(TEXTS)]  # without a cache it encodes


def test_saved_without_its_dense_model_and_rebuilt_on_load(tmp_path: Path) -> None:
    emb = _hybrid()
    emb.transform(TEXTS[:1])
    vars(emb.dense)["model_"] = "a loaded transformer"  # what a used MiniLM view holds
    _skops_dump(emb, tmp_path / "emb.skops")
    back = _skops_load(tmp_path / "emb.skops")
    assert "model_" not in vars(back.dense) and "model_" in vars(emb.dense)
    np.testing.assert_array_equal(back.transform(TEXTS).toarray(), emb.transform(TEXTS).toarray())
    assert back.identity() == emb.identity()


def test_identity_names_both_views_and_their_libraries() -> None:
    ident = _hybrid().identity()
    assert ident["model"].startswith("sparse:vocab-sha256:")
    assert "+dense:" in ident["model"]
    fake = make_embedder("fake").identity()
    assert fake["libraries"].items() <= ident["libraries"].items()
    other = HybridEmbedder(sparse=make_embedder("tfidf"), dense=make_embedder("fake"))
    assert ident != other.fit(TEXTS[:3]).identity()


def test_views_of_the_wrong_kind_are_refused() -> None:
    with pytest.raises(ValueError, match="dense view must be a cacheable"):
        HybridEmbedder(sparse=make_embedder("tfidf"), dense=make_embedder("tfidf")).dense_embedder()
    with pytest.raises(ValueError, match="sparse view must be a sparse embedder"):
        HybridEmbedder(sparse=make_embedder("fake"), dense=make_embedder("fake")).fit(TEXTS)
