"""The exact method equals coefficient x feature value, and adds up to the decision value."""

from __future__ import annotations

import numpy as np
import pytest

from tests.explain.conftest import fit_classifier, keyword_rows
from textops.explain import explain_texts


@pytest.mark.parametrize("head", ["logreg", "linear_svm", "ridge"])
def test_linear_scores_are_coefficient_times_value(head: str) -> None:
    clf = fit_classifier("tfidf", head, keyword_rows(), ngram_max=1)
    text = "coffee zebra weather book"
    x = clf.embed([text]).toarray()[0]
    vocab = clf.embedder.vectorizer_.vocabulary_
    est = getattr(clf.head, "estimator_", clf.head)
    w = np.atleast_2d(np.asarray(est.coef_, dtype=float))[0]  # binary: the row of classes_[1]
    for label, sign in (("pos", 1.0), ("neg", -1.0)):
        (attr,) = explain_texts(clf, [text], "linear", label=label)
        for word, score in zip(attr.words, attr.scores, strict=True):
            f = vocab[word]
            assert score == pytest.approx(sign * w[f] * x[f], rel=1e-6, abs=1e-9)
        decision = float(est.decision_function(clf.embed([text]))[0])
        intercept = float(np.atleast_1d(est.intercept_)[0])
        assert sum(attr.scores) + sign * intercept == pytest.approx(sign * decision, rel=1e-6)


def test_bigrams_are_shared_by_their_words_and_multiclass_rows_are_used() -> None:
    from tests.conftest import topic_rows

    clf = fit_classifier("tfidf", "logreg", topic_rows(300), ngram_max=2)
    text = "football match bank loan"
    (attr,) = explain_texts(clf, [text], "linear")
    c = clf.labels.index(attr.label)
    est = clf.head
    decision = float(est.decision_function(clf.embed([text]))[0, c])
    assert sum(attr.scores) + float(est.intercept_[c]) == pytest.approx(decision, rel=1e-6)
