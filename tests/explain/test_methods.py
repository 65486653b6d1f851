"""Every attribution method in the table: on a model whose answer depends on one known word,
the word comes first; the result is well formed; a method that does not apply says so."""

from __future__ import annotations

import numpy as np
import pytest

from tests.explain.conftest import fit_classifier, keyword_rows
from textops.errors import ConfigError, InvalidLabelError
from textops.explain import METHODS, explain_texts, resolve_method
from textops.model import TextClassifier

TEXT = "coffee today zebra the big train"


def _check(attr, text: str) -> None:  # type: ignore[no-untyped-def]
    assert attr.words == tuple(text.split())
    assert all(text[s:e] == w for (s, e), w in zip(attr.spans, attr.words, strict=True))
    assert len(attr.scores) == len(attr.words)
    assert np.all(np.isfinite(attr.scores))


@pytest.mark.parametrize("method", [m for m in METHODS if m != "ig"])
def test_each_method_puts_the_deciding_word_first(
    tfidf_keyword: TextClassifier, method: str
) -> None:
    (attr,) = explain_texts(tfidf_keyword, [TEXT], method)
    _check(attr, TEXT)
    assert attr.label == attr.predicted == "pos" and attr.probability > 0.5
    assert attr.top(1)[0][0] == "zebra"
    assert attr.method == method


def test_explaining_the_other_label_turns_the_word_against_it(
    tfidf_keyword: TextClassifier,
) -> None:
    (attr,) = explain_texts(tfidf_keyword, [TEXT], "occlusion", label="neg")
    assert attr.label == "neg" and attr.predicted == "pos"
    scores = dict(zip(attr.words, attr.scores, strict=True))
    assert scores["zebra"] == min(scores.values()) < 0
    # "top" lists the words that support the label: never one scoring 0 or against it
    top = attr.top(len(attr.words))
    assert "zebra" not in dict(top) and all(s > 0 for _, s in top)


@pytest.mark.integration
def test_integrated_gradients_through_minilm_find_the_word() -> None:
    clf = fit_classifier("minilm", "logreg", keyword_rows(160))
    (attr,) = explain_texts(clf, [TEXT], "ig")
    _check(attr, TEXT)
    assert attr.label == "pos" and attr.top(1)[0][0] == "zebra"
    (occ,) = explain_texts(clf, [TEXT], "auto")
    assert occ.method == "occlusion" and occ.top(1)[0][0] == "zebra"


def test_auto_is_exact_for_linear_tfidf_and_occlusion_otherwise(
    tfidf_keyword: TextClassifier,
) -> None:
    assert resolve_method(tfidf_keyword, "auto") == "linear"
    knn = fit_classifier("tfidf", "knn", keyword_rows())
    assert resolve_method(knn, "auto") == "occlusion"
    with pytest.raises(ConfigError, match="method: linear does not apply"):
        resolve_method(knn, "linear")
    with pytest.raises(ConfigError, match="method: ig does not apply"):
        resolve_method(tfidf_keyword, "ig")
    with pytest.raises(ConfigError, match="unknown 'lime'"):
        resolve_method(tfidf_keyword, "lime")


def test_an_unknown_label_and_odd_texts(tfidf_keyword: TextClassifier) -> None:
    with pytest.raises(InvalidLabelError, match="label: 'maybe'"):
        explain_texts(tfidf_keyword, [TEXT], "occlusion", label="maybe")
    with pytest.raises(TypeError):
        explain_texts(tfidf_keyword, TEXT)  # type: ignore[arg-type]
    for method in ("occlusion", "linear", "shap"):
        empty, spaced, one = explain_texts(
            tfidf_keyword, ["", "  zebra\tcoffee \n", "zebra"], method
        )
        assert empty.words == () and empty.scores == ()
        assert spaced.words == ("zebra", "coffee") and spaced.spans == ((2, 7), (8, 14))
        assert one.words == ("zebra",) and one.scores[0] > 0


def test_a_long_text_is_occluded_in_runs_of_words_one_model_call() -> None:
    from textops.explain._occlusion import MAX_UNITS, occlusion, units

    calls: list[int] = []

    def proba(texts: list[str]) -> np.ndarray:
        calls.append(len(texts))
        p = np.array([0.9 if "zebra" in t else 0.3 for t in texts])
        return np.column_stack([1 - p, p])

    words = [f"w{i}" for i in range(300)]
    words[137] = "zebra"
    attr = occlusion(proba, ["neg", "pos"], " ".join(words))
    assert calls == [MAX_UNITS + 1]
    run = next(r for r in units(300) if 137 in r)
    assert 3 <= len(run) <= 6
    assert set(attr.ranking()[: len(run)]) == set(run)  # the run holding the word ranks first
    assert sum(attr.scores) == pytest.approx(np.log(9) - np.log(3 / 7))
    assert [len(r) for r in units(10)] == [1] * 10


def test_a_method_whose_package_is_missing_says_what_to_install(
    tfidf_keyword: TextClassifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    import textops._packages as packages

    real = packages.available
    monkeypatch.setattr(packages, "available", lambda *m: "shap" not in m and real(*m))
    with pytest.raises(ConfigError, match=r"method: shap needs shap.*textops\[explain\]"):
        resolve_method(tfidf_keyword, "shap")
