"""TF-IDF: the vocabulary persists as two arrays (skops writes a numpy scalar as its own archive
member and a dict as a JSON node per entry: a 40k-term vocabulary of numpy ints took ~30 s to
save, a 100k-term one of plain ints made a 60 MB model); fold views for cross-validation equal
a fit per fold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skops.io as sio

from textops.embed import make_embedder
from textops.embed._tfidf import TfidfEmbedder


def test_vocabulary_saves_as_two_arrays_and_loads_as_plain_ints(tmp_path: Path) -> None:
    texts = [f"word{i} other{i % 7} shared term" for i in range(3000)]
    emb = make_embedder("tfidf").fit(texts)
    vocab = emb.vectorizer_.vocabulary_
    assert len(vocab) > 3000
    path = tmp_path / "tfidf.skops"
    sio.dump(emb, path)
    import zipfile

    with zipfile.ZipFile(path) as zf:
        assert len(zf.namelist()) < 20  # not one member per term
        # the vocabulary is two arrays, not a JSON node per term (~600 bytes each)
        assert zf.getinfo("schema.json").file_size < 20 * len(vocab)
    assert emb.vectorizer_.vocabulary_ is vocab  # saving left the fitted embedder as it was
    loaded = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    assert loaded.vectorizer_.vocabulary_ == vocab
    assert all(type(v) is int for v in loaded.vectorizer_.vocabulary_.values())
    np.testing.assert_array_equal(
        loaded.transform(texts[:5]).toarray(), emb.transform(texts[:5]).toarray()
    )


def test_a_vocabulary_of_any_characters_round_trips(tmp_path: Path) -> None:
    texts = ["naïve café 東京 emoji 🙂 tab\there", "ünïcödé ß straße", "plain words only"]
    emb = make_embedder("tfidf_char").fit(texts)
    sio.dump(emb, tmp_path / "c.skops")
    loaded = sio.load(
        tmp_path / "c.skops", trusted=sio.get_untrusted_types(file=tmp_path / "c.skops")
    )
    assert loaded.vectorizer_.vocabulary_ == emb.vectorizer_.vocabulary_


def test_character_tfidf_matches_misspelt_words_word_tfidf_does_not() -> None:
    train = ["win a free prize now", "free cash prize", "see you at lunch", "lunch at noon"]
    word = make_embedder("tfidf").fit(train)
    char = make_embedder("tfidf_char").fit(train)
    assert all(2 <= len(t) <= 5 for t in char.vectorizer_.vocabulary_)
    # "fr33 prizze" shares no word with train, but many character n-grams
    assert word.transform(["fr33 prizze"]).nnz == 0
    spam, ham = char.transform(["fr33 prizze", "free prize"]), char.transform(["lunch"])
    assert (spam @ spam.T).toarray()[0, 1] > (spam[0] @ ham.T).toarray()[0, 0]


def test_word_and_character_tfidf_side_by_side_round_trips(tmp_path: Path) -> None:
    from textops.model._skops import skops_dump as _skops_dump
    from textops.model._skops import skops_load as _skops_load

    train = ["win a free prize now", "free cash prize", "see you at lunch", "lunch at noon"]
    both = make_embedder("tfidf_wc").fit(train)
    X = both.transform(["fr33 prizze", "free prize"])
    n_word = len(both.word_.vectorizer_.vocabulary_)
    n_char = len(both.char_.vectorizer_.vocabulary_)
    assert X.shape == (2, n_word + n_char)
    np.testing.assert_allclose(np.sqrt(X.multiply(X).sum(axis=1)).A1, [1 / np.sqrt(2), 1.0])
    # the misspelt text has no word features, only character ones
    assert X[0, :n_word].nnz == 0 and X[0, n_word:].nnz > 0
    path = tmp_path / "wc.skops"
    _skops_dump(both, path)  # loading refuses any type outside TRUSTED_TYPES
    np.testing.assert_array_equal(
        _skops_load(path).transform(train).toarray(), both.transform(train).toarray()
    )


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"max_features": 25},  # fewer terms than the fold has: the most frequent, ties and all
        {"min_df": 2, "sublinear_tf": False},
        {"analyzer": "char_wb", "ngram_min": 2, "ngram_max": 4, "max_features": 60},
    ],
)
def test_fold_views_are_what_a_fit_on_the_folds_train_part_gives(params: dict) -> None:  # type: ignore[type-arg]
    rng = np.random.default_rng(0)
    words = ["cash", "prize", "lunch", "meeting", "free", "call", "now", "see", "you", "soon"]
    texts = [" ".join(rng.choice(words, size=rng.integers(2, 9))) for _ in range(60)]
    views = TfidfEmbedder(**params).fold_views(texts)
    for seed in range(3):
        order = np.random.default_rng(seed).permutation(len(texts))
        tr, va = np.sort(order[:40]), np.sort(order[40:])
        got_tr, got_va = views(tr, va)
        fitted = TfidfEmbedder(**params).fit([texts[i] for i in tr])
        for rows, got in ((tr, got_tr), (va, got_va)):
            want = fitted.transform([texts[i] for i in rows])
            assert got.shape == want.shape
            np.testing.assert_allclose(got.toarray(), want.toarray(), atol=1e-6)
