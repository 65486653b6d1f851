"""Fold data: each fold's arrays and the validation features are computed once, then shared."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

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
        home=home,
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
