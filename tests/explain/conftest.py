"""Small real models whose answer is known to depend on one word."""

from __future__ import annotations

import random

import pytest

from textops.model import TextClassifier

FILLER = [
    *("the", "a", "today", "really", "new", "big", "about"),
    *("again", "please", "weather", "coffee", "train", "book"),
]


def keyword_rows(n: int = 240, word: str = "zebra", seed: int = 0) -> list[tuple[str, str]]:
    """Label ``pos`` exactly when ``word`` is in the text."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        words = rng.sample(FILLER, 6)
        label = "pos" if i % 2 else "neg"
        if label == "pos":
            words.insert(rng.randrange(len(words) + 1), word)
        rows.append((" ".join(words), label))
    return rows


def fit_classifier(
    embedder_key: str, head_key: str, rows: list[tuple[str, str]], **emb: object
) -> TextClassifier:
    from textops.data import NormalizationOptions
    from textops.embed import make_embedder
    from textops.model import HEADS, build_head

    texts, labels = [t for t, _ in rows], [y for _, y in rows]
    embedder = make_embedder(embedder_key, **emb).fit(texts)
    params = {"C": 10.0} if "C" in HEADS[head_key].defaults() else {}  # the linear ones'
    head = build_head(head_key, params).fit(embedder.transform(texts), labels)
    return TextClassifier(
        embedder_key=embedder_key,
        embedder=embedder,
        head_key=head_key,
        head=head,
        head_params=params,
        normalization=NormalizationOptions(),
    )


@pytest.fixture(scope="module")
def tfidf_keyword() -> TextClassifier:
    return fit_classifier("tfidf", "logreg", keyword_rows())
