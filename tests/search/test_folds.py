"""Fold data: each fold's arrays and the validation features are computed once, then shared."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from textops.embed import EmbeddingCache
from textops.embed._encode import text_keys
from textops.search._folds import FoldData

TEXTS = [f"{w} number {i}" for i in range(30) for w in ("cash prize", "lunch meeting")]
LABELS = ["spam", "ham"] * 30


def _data(home: Path, val: list[str] = TEXTS[:12], val_labels: list[str] = LABELS[:12]) -> FoldData:
    return FoldData(
        texts=TEXTS,
        labels=LABELS,
        keys=text_keys(TEXTS),
        folds=3,
        seed=0,
        cache=EmbeddingCache(home=home),
        validation=(val, text_keys(val), val_labels),
    )


def test_standardised_fold_arrays_are_computed_once_and_read_only(tmp_path: Path) -> None:
    data = _data(tmp_path)
    first = data.arrays("fake", 0, True)
    assert data.arrays("fake", 0, True)[0] is first[0]
    np.testing.assert_allclose(first[0].mean(axis=0), 0.0, atol=1e-5)
    assert not first[0].flags.writeable
    assert data.arrays("fake", 0, False)[0] is not first[0]


def test_validation_features_are_encoded_once_and_standardised_per_fold(tmp_path: Path) -> None:
    data = _data(tmp_path)
    raw = data.validation_arrays("fake", 0, False)
    assert data.validation_arrays("fake", 2, False) is raw  # the same for every fold
    for fold in range(3):
        data.arrays("fake", fold, True)  # fits the fold's scaler
        expected = data._scalers["fake", fold].transform(raw)
        np.testing.assert_array_equal(data.validation_arrays("fake", fold, True), expected)


def test_validation_rows_with_a_label_train_lacks_are_left_out(tmp_path: Path) -> None:
    data = _data(tmp_path, ["a", "b"], ["spam", "phishing"])
    assert data.validation is not None
    assert data.validation[0] == ["a"] and list(data.validation[2]) == [1]  # "spam" after "ham"


@pytest.mark.parametrize("fold", [0, 1, 2])
def test_folds_are_stratified(tmp_path: Path, fold: int) -> None:
    tr, va = _data(tmp_path).splits()[fold]
    assert sorted(np.bincount(_data(tmp_path).y[va])) == [10, 10]
    assert len(set(tr) & set(va)) == 0


def test_an_embedder_fitted_per_fold_records_its_fit_time(tmp_path: Path) -> None:
    data = _data(tmp_path)
    data.arrays("fake", 0, False)
    assert data.fit_seconds == {}  # cached features: nothing is fitted
    Xtr, _ = data.arrays("tfidf", 0, False)
    assert data.arrays("tfidf", 0, False)[0] is Xtr  # fitted once per fold
    assert data.fit_seconds["tfidf"] > 0


def test_a_hybrids_fold_arrays_reuse_its_sparse_views_analysis_and_the_cached_dense_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textops.embed._tfidf import WordCharTfidfEmbedder

    calls: list[int] = []
    original = WordCharTfidfEmbedder.fold_views

    def counting(self: WordCharTfidfEmbedder, texts: list[str]) -> object:
        calls.append(len(texts))
        return original(self, texts)

    monkeypatch.setattr(WordCharTfidfEmbedder, "fold_views", counting)
    data = _data(tmp_path)
    tr, va = data.splits()[0]
    hybrid = data.arrays("tfidf_minilm", 0, False)
    sparse = data.arrays("tfidf_wc", 0, False)
    data.arrays("tfidf_minilm", 1, False)
    assert calls == [len(TEXTS)]  # the word + character view analysed the texts once, for both
    dense = data.features("minilm")
    assert hybrid[0].shape == (len(tr), sparse[0].shape[1] + dense.shape[1])
    assert hybrid[1].shape == (len(va), sparse[1].shape[1] + dense.shape[1])
    width = sparse[0].shape[1]
    np.testing.assert_array_equal(hybrid[0][:, :width].toarray(), sparse[0].toarray())
    np.testing.assert_allclose(
        hybrid[1][:, width:].toarray(),
        0.5 * dense[va] / np.linalg.norm(dense[va], axis=1)[:, None],
        atol=1e-5,
    )
    assert data.arrays("tfidf_minilm", 0, False) is hybrid
    assert data.fit_seconds["tfidf_minilm"] == data.fit_seconds["tfidf_wc"] > 0


def test_fold_arrays_of_tfidf_are_those_of_a_fit_on_the_folds_train_part(tmp_path: Path) -> None:
    from textops.embed import make_embedder

    data = _data(tmp_path)
    for fold in range(3):
        tr, va = data.splits()[fold]
        got = data.arrays("tfidf_wc", fold, False)
        fitted = make_embedder("tfidf_wc").fit([TEXTS[i] for i in tr])
        for rows, X in zip((tr, va), got, strict=True):
            want = fitted.transform([TEXTS[i] for i in rows])
            assert X.shape == want.shape
            np.testing.assert_allclose(X.toarray(), want.toarray(), atol=1e-6)


def test_a_sampled_hybrid_folds_and_encodes_only_its_sample(tmp_path: Path) -> None:
    from textops.embed import EmbeddingCache, make_embedder

    rows = list(range(0, 60, 2)) + list(range(1, 60, 4))  # 45 of the 60 train rows
    data = FoldData(texts=TEXTS, labels=LABELS, keys=text_keys(TEXTS), folds=3, seed=0,
                    cache=EmbeddingCache(home=tmp_path), subsets={"tfidf_minilm": rows})  # fmt: skip
    tr, va = data.splits("tfidf_minilm")[0]
    assert set(tr) | set(va) <= set(rows)
    Xtr, Xva = data.arrays("tfidf_minilm", 0, False)
    assert (Xtr.shape[0], Xva.shape[0]) == (len(tr), len(va))
    dense = Xtr[:, -384:].toarray()
    assert np.all(np.linalg.norm(dense, axis=1) > 0.4)  # every row has its MiniLM vector
    space = EmbeddingCache(home=tmp_path).space_for(make_embedder("minilm"))
    assert len(space) == len(rows)  # the sample was encoded, not the whole split
