"""Every trained head of the HEADS table (finetune, setfit, bilstm) trains on texts, deploys as
its encoder + a linear head, and persists without pickle; the training loop's parts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone

from tests.conftest import SPAM_LABELS, SPAM_TEXTS
from textops.data import NormalizationOptions
from textops.model import HEADS, EpochRecord, TextClassifier
from textops.model._training import batches, linear_head

TRAINED = [k for k, spec in HEADS.items() if spec.text_input]
FAST = {"epochs": 2, "lr": 1e-3, "iterations": 2}


def _fit(key: str, tiny_bert: Path, **kw: object):  # type: ignore[no-untyped-def]
    takes = HEADS[key].defaults()  # FAST holds what any of them takes (iterations: SetFit's)
    params = {k: v for k, v in {"model": str(tiny_bert), **FAST, **kw}.items() if k in takes}
    est = HEADS[key].factory(seed=0, **params).set_params(device="cpu")
    return est.fit(SPAM_TEXTS, SPAM_LABELS, validation=(SPAM_TEXTS[:12], SPAM_LABELS[:12]))


def test_setfit_trains_on_in_batch_pairs_and_on_setfits_sampled_pairs(tiny_bert: Path) -> None:
    for pairs in ("in_batch", "sampled"):
        est = _fit("setfit", tiny_bert, pairs=pairs, epochs=1)
        assert est.history_[0].train_loss > 0
        assert set(est.predict(SPAM_TEXTS)) <= {"spam", "ham"}
    # an epoch: iterations passes over the texts; sampled pairs cost two passes each
    assert est.encoder_passes(10) == 2 * min(2 * 10 * 2, est.max_pairs)
    assert est.set_params(pairs="in_batch").encoder_passes(10) == 20


def test_the_trained_heads_are_the_three_the_search_offers() -> None:
    assert set(TRAINED) == {"finetune", "setfit", "bilstm"}
    for key in TRAINED:
        assert HEADS[key].embedders == frozenset({"minilm", "mpnet"})
        assert clone(HEADS[key].factory(seed=0)).get_params()["model"] == "all-MiniLM-L6-v2"


@pytest.mark.parametrize("key", TRAINED)
def test_trained_head_deploys_as_encoder_and_linear_head_and_round_trips(
    key: str, tiny_bert: Path, tmp_path: Path
) -> None:
    est = _fit(key, tiny_bert)
    assert 1 <= len(est.history_) <= 2 and est.epochs_ >= 1
    assert all(r.val_macro_f1 is not None for r in est.history_)
    exported = est.export()
    clf = TextClassifier(
        embedder_key=exported.embedder_key,
        embedder=exported.embedder,
        head_key=key,
        head=exported.head,
        head_params={},
        normalization=NormalizationOptions(),
    )
    proba = clf.predict_proba(SPAM_TEXTS[:6])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    # the deployed pair predicts what the trained network predicts, with its probabilities
    assert clf.predict(SPAM_TEXTS) == list(est.predict(SPAM_TEXTS))
    np.testing.assert_allclose(est.predict_proba(SPAM_TEXTS[:6]), proba, atol=1e-4)
    saved = clf.save(tmp_path / key)
    assert (saved / "encoder").is_dir()
    assert list((saved / "encoder").rglob("*.safetensors"))
    assert not list(saved.rglob("*.pkl")) and not list(saved.rglob("*.bin"))
    loaded = TextClassifier.load(saved)
    assert Path(getattr(loaded.embedder, str(loaded.embedder.bundle_param))) == saved / "encoder"
    np.testing.assert_array_equal(loaded.predict_proba(SPAM_TEXTS[:6]), proba)
    assert loaded.embedder.identity() == clf.embedder.identity()  # path is not identity


def test_finetune_learns_a_separable_task(tiny_bert: Path) -> None:
    est = _fit("finetune", tiny_bert, epochs=6, lr=3e-3, patience=6)
    assert est.history_[-1].train_loss < est.history_[0].train_loss
    assert max(r.val_macro_f1 or 0 for r in est.history_) == 1.0


def test_the_hooks_cap_epochs_after_the_first_batches(tiny_bert: Path) -> None:
    seen: list[tuple[float, int]] = []

    class OneEpoch:
        def probed(self, seconds_per_sample: float, samples_per_epoch: int) -> int:
            seen.append((seconds_per_sample, samples_per_epoch))
            return 1

        def epoch_end(self, record: EpochRecord) -> None:
            pass

    est = HEADS["bilstm"].factory(seed=0, model=str(tiny_bert), epochs=5, batch_size=4)
    est.set_params(device="cpu").fit(SPAM_TEXTS, SPAM_LABELS, hooks=OneEpoch())
    assert len(est.history_) == 1
    assert seen and seen[0][0] > 0 and seen[0][1] == len(SPAM_TEXTS)


@pytest.mark.parametrize("k", [2, 3])
def test_linear_head_gives_the_softmax_of_the_trained_layer(k: int) -> None:
    rng = np.random.default_rng(k)
    W, b, X = rng.normal(size=(k, 5)), rng.normal(size=k), rng.normal(size=(7, 5))
    z = X @ W.T + b
    want = np.exp(z - z.max(1, keepdims=True))
    want /= want.sum(1, keepdims=True)
    head = linear_head(W, b, [f"c{i}" for i in range(k)])
    np.testing.assert_allclose(head.predict_proba(X), want, atol=1e-9)
    assert list(head.classes_) == [f"c{i}" for i in range(k)]


def test_batches_cover_every_row_once_and_inference_goes_longest_first() -> None:
    lengths = [5, 1, 9, 3, 7, 2, 8]
    train = batches(lengths, 3, shuffle=True, seed=1)
    assert sorted(np.concatenate(train).tolist()) == list(range(7))
    infer = np.concatenate(batches(lengths, 3, shuffle=False))
    assert [lengths[i] for i in infer] == sorted(lengths, reverse=True)
