"""An ensemble is one TextClassifier: saved with skops (small, allowlisted types only) and
loaded back predicting the same probabilities, soft-voted or stacked."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import topic_rows
from textops.data import NormalizationOptions
from textops.model import ClassifierRecipe, LabelledRows, TextClassifier, train_ensemble


def _ensemble(texts: list[str], labels: list[str], method: str, test: int = 0) -> Any:
    norm = NormalizationOptions()
    members = [ClassifierRecipe("tfidf", "logreg", {"C": 1.0}, norm),
               ClassifierRecipe("fake", "logreg", {"C": 1.0}, norm)]  # fmt: skip
    cut = len(texts) - test
    held = LabelledRows(texts[cut:], labels[cut:]) if test else None
    return train_ensemble(members, method, LabelledRows(texts[:cut], labels[:cut]),  # type: ignore[arg-type]
                          cache=None, test=held, folds=3)  # fmt: skip


def _schema_bytes(folder: Path) -> int:
    with zipfile.ZipFile(folder / "head.skops") as z:
        return len(z.read("schema.json"))


@pytest.mark.parametrize("method", ["soft_vote", "stack"])
def test_an_ensemble_loads_back_predicting_the_same(tmp_path: Path, method: str) -> None:
    rows = topic_rows(300)
    texts, labels = [t for t, _ in rows], [lab for _, lab in rows]
    trained = _ensemble(texts, labels, method, test=60)
    assert trained.test is not None and trained.test.scores.macro_f1 > 0.6
    clf = trained.classifier
    clf.save(tmp_path / "m")
    again = TextClassifier.load(tmp_path / "m")
    assert again.labels == clf.labels and again.embedder_key == "stacked"
    assert np.allclose(again.predict_proba(texts[240:]), clf.predict_proba(texts[240:]))


def test_the_saved_head_does_not_grow_with_the_feature_count(tmp_path: Path) -> None:
    """A member reads its columns by two integers: a TF-IDF vocabulary of a million terms
    once made a head of a million JSON entries, minutes to save."""
    sizes, widths = [], []
    for n in (60, 400):
        rows = topic_rows(n, seed=n)
        texts, labels = [f"{t} w{i}" for i, (t, _) in enumerate(rows)], [lab for _, lab in rows]
        clf = _ensemble(texts, labels, "soft_vote").classifier
        widths.append(clf.embedder.members_[0].transform(texts[:1]).shape[1])
        clf.save(tmp_path / str(n))
        sizes.append(_schema_bytes(tmp_path / str(n)))
    assert widths[1] > widths[0] + 300  # every row adds a word of its own
    assert abs(sizes[1] - sizes[0]) < 0.05 * sizes[0]
