"""Every entry of the EMBEDDERS table honours the Embedder contract."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.base import clone

from textops.embed import EMBEDDERS, Embedder, make_embedder
from textops.errors import UnknownPluginError

TEXTS = [
    "Free entry: win a cruise now!!!",
    "are we still on for lunch?",
    "ok see you soon",
    "URGENT: call 0800 now to claim",
    "are we still on for lunch?",
]


@pytest.fixture(scope="module")
def fitted(trained_encoders: dict[str, dict[str, object]]) -> dict[str, Embedder]:
    """One fitted instance per table entry (models load once per module); entries holding a
    trained encoder (a fine-tune's folder) point at one trained on a tiny BERT."""

    def params(key: str) -> dict[str, object]:
        given = trained_encoders.get(key, {})
        return {k: v for k, v in given.items() if not k.startswith("_")}

    return {key: make_embedder(key, **params(key)).fit(TEXTS) for key in EMBEDDERS}


@pytest.mark.parametrize("key", list(EMBEDDERS))
def test_init_only_stores_parameters(key: str) -> None:
    emb = make_embedder(key)
    assert not [a for a in vars(emb) if a.endswith("_")], "nothing fitted or loaded in __init__"
    params = emb.get_params()

    def plain(p: dict[str, object]) -> dict[str, object]:  # sub-embedders by class and params
        return {
            k: (type(v), v.get_params()) if isinstance(v, Embedder) else v for k, v in p.items()
        }

    assert plain(params) == plain(clone(emb).get_params())
    assert dict(EMBEDDERS[key].params).items() <= params.items()
    for name, part in EMBEDDERS[key].parts.items():  # a hybrid's views: table entries
        assert plain(params[name].get_params()) == plain(make_embedder(part).get_params())


@pytest.mark.parametrize("key", list(EMBEDDERS))
def test_transform_gives_one_deterministic_row_per_text(
    key: str, fitted: dict[str, Embedder]
) -> None:
    emb = fitted[key]
    out = emb.transform(TEXTS)
    assert out.shape[0] == len(TEXTS)
    dense = out if isinstance(out, np.ndarray) else out.toarray()
    assert np.isfinite(dense).all()
    np.testing.assert_allclose(dense[1], dense[4], rtol=0, atol=1e-6)  # same text, same row
    assert not np.allclose(dense[0], dense[1])
    again = emb.transform(TEXTS[:2])
    again = again if isinstance(again, np.ndarray) else again.toarray()
    np.testing.assert_allclose(again, dense[:2], atol=1e-5)
    if emb.cacheable:
        assert out.dtype == np.float32


@pytest.mark.parametrize("key", list(EMBEDDERS))
def test_identity_is_stable_json_and_names_libraries(key: str, fitted: dict[str, Embedder]) -> None:
    ident = fitted[key].identity()
    assert json.loads(json.dumps(ident)) == ident
    assert ident == fitted[key].identity()
    assert ident["model"] and "numpy" in ident["libraries"]
    assert not set(ident["options"]) & set(type(fitted[key]).runtime_params)


def test_unknown_embedder_lists_the_table() -> None:
    with pytest.raises(UnknownPluginError, match="minilm"):
        make_embedder("word2vec")


def test_string_instead_of_list_is_refused() -> None:
    with pytest.raises(TypeError, match="sequence"):
        make_embedder("fake").transform("one text")


@pytest.mark.parametrize("key", [k for k, spec in EMBEDDERS.items() if spec.cls.requires_fit])
def test_fold_views_give_what_a_fit_on_the_folds_train_part_gives(key: str) -> None:
    texts = TEXTS * 3
    tr, va = np.array([0, 1, 2, 5, 6, 8, 10, 13]), np.array([3, 4, 7, 9])
    got = make_embedder(key).fold_views(texts)(tr, va)
    fitted = make_embedder(key).fit([texts[i] for i in tr])
    for rows, X in zip((tr, va), got, strict=True):
        want = fitted.transform([texts[i] for i in rows])
        assert X.shape == want.shape
        np.testing.assert_allclose(X.toarray(), want.toarray(), atol=1e-6)
