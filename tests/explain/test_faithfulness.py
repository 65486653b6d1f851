"""ERASER comprehensiveness and sufficiency: real attributions beat a random order."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import topic_rows
from tests.explain.conftest import fit_classifier
from textops.explain import BINS, Attribution, erasure_scores, evaluate_faithfulness


@pytest.fixture(scope="module")
def topics_model():  # type: ignore[no-untyped-def]
    return fit_classifier("tfidf", "logreg", topic_rows(300))


def test_attributions_beat_a_random_order_on_a_trained_model(topics_model) -> None:  # type: ignore[no-untyped-def]
    texts = [t for t, _ in topic_rows(60, seed=7)]
    results = evaluate_faithfulness(topics_model, texts, ("linear", "occlusion"))
    assert [r.method for r in results] == ["linear", "occlusion"]
    for r in results:
        assert r.texts == 60 and len(r.comprehensiveness) == len(BINS)
        assert r.ratio(20) >= 2, r.as_json()
        # keeping only the top words loses less than keeping random ones
        assert r.sufficiency[3] < r.random_sufficiency[3]
        assert r.seconds_per_text > 0


def test_erasure_scores_remove_and_keep_the_ranked_words() -> None:
    calls: list[list[str]] = []

    class Stub:
        labels = ("neg", "pos")

        def predict_proba(self, texts: list[str]) -> np.ndarray:
            calls.append(list(texts))
            p = np.array([0.9 if "zebra" in t else 0.2 for t in texts])
            return np.column_stack([1 - p, p])

    words = (*tuple(f"w{i}" for i in range(9)), "zebra")
    text = " ".join(words)
    attr = Attribution(text, "pos", 0.9, "pos", "stub", words, (), (0.0,) * 10)
    comp, suff = erasure_scores(Stub(), attr, [9, *range(9)])  # type: ignore[arg-type]
    (variants,) = calls
    assert variants[0] == " ".join(words[:9])  # 1 % of 10 words: at least one, "zebra", removed
    assert variants[len(BINS)] == "zebra"  # and kept alone
    assert comp.tolist() == pytest.approx([0.7] * len(BINS))
    assert suff.tolist() == pytest.approx([0.0] * len(BINS))
