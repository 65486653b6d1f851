"""An interrupted ``gen train`` continues after its last finished epoch: the epochs, weights
and optimiser moments are saved (safetensors, JSON) and the same command picks them up."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
import torch

from textops.data import Dataset
from textops.gen import train_generator
from textops.gen._checkpoint import Checkpoint, GenEpoch, Progress
from textops.track import MlflowTracker

from .test_gen import _cfg


class _KilledAtEpoch(MlflowTracker):
    """A tracker whose process dies while logging epoch ``at``."""

    def __init__(self, at: int, home: Path) -> None:
        super().__init__(home=home)
        self.at = at

    def log_metrics(
        self, run_id: str, metrics: Mapping[str, float], step: int | None = None
    ) -> None:
        super().log_metrics(run_id, metrics, step=step)
        if step == self.at:
            raise KeyboardInterrupt


def test_an_interrupted_run_continues_after_its_last_saved_epoch(horo: Dataset, home: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        train_generator(_cfg(epochs=4), home=home, tracker=_KilledAtEpoch(3, home))
    folders = sorted(p.name for p in (home / "gen-checkpoints").iterdir())
    assert len(folders) == 1 and not folders[0].endswith((".tmp", ".old"))
    again = train_generator(_cfg(epochs=4), home=home)
    assert again.resumed_after == 2  # epoch 3 was being logged: it is done again
    assert [e.epoch for e in again.epochs] == [1, 2, 3, 4]
    assert not list((home / "gen-checkpoints").iterdir())  # registered: nothing to resume
    fresh = train_generator(_cfg(epochs=4, resume=False), home=home)
    assert fresh.resumed_after == 0


def test_another_setting_does_not_resume_a_run(horo: Dataset, home: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        train_generator(_cfg(epochs=3), home=home, tracker=_KilledAtEpoch(2, home))
    assert train_generator(_cfg(epochs=3, lr=1e-3), home=home).resumed_after == 0


def test_a_checkpoint_restores_weights_and_optimiser_moments(tmp_path: Path) -> None:
    from transformers import GPT2Config, GPT2LMHeadModel

    from textops.gen._tokenizer import train_tokenizer

    tok = train_tokenizer(["a small corpus", "of words"] * 20, vocab_size=300)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(tok), n_positions=16, n_layer=1,
                                       n_embd=16, n_head=2))  # fmt: skip
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    ids = torch.randint(0, len(tok), (2, 8))
    model(input_ids=ids, labels=ids).loss.backward()
    opt.step()
    ckpt = Checkpoint(tmp_path / "c", key="k")
    epochs = (GenEpoch(1, 5.0, 5.1, 164.0, 1.0, 2.0, 1, 0.5),)
    ckpt.save(model, tok, opt, Progress(epochs, 1))
    assert ckpt.exists() and not Checkpoint(tmp_path / "c", key="other").exists()
    loaded, _, progress = ckpt.load()
    assert progress == Progress(epochs, 1)
    for a, b in zip(model.parameters(), loaded.parameters(), strict=True):
        assert torch.equal(a, b)
    opt2 = torch.optim.AdamW(loaded.parameters(), lr=1e-3)
    ckpt.restore_optimizer(loaded, opt2)
    for a, b in zip(model.parameters(), loaded.parameters(), strict=True):
        assert torch.equal(opt.state[a]["exp_avg_sq"], opt2.state[b]["exp_avg_sq"])
        assert float(opt.state[a]["step"]) == float(opt2.state[b]["step"])
    (tmp_path / "c" / "state.json").write_text("{not json")
    assert not ckpt.exists()  # a damaged state is a fresh start, not a crash


def test_the_best_epochs_weights_are_put_back_when_a_later_one_is_worse() -> None:
    from transformers import GPT2Config, GPT2LMHeadModel

    from textops.gen._epochs import BestEpoch

    model = GPT2LMHeadModel(GPT2Config(vocab_size=50, n_positions=8, n_layer=1, n_embd=8,
                                       n_head=2))  # fmt: skip
    best = BestEpoch()
    weights = []
    for epoch, loss in ((1, 3.0), (2, 2.0), (3, 2.5)):  # epoch 2 is the best
        with torch.no_grad():
            for p in model.parameters():
                p.add_(1.0)  # each epoch changes every weight
        weights.append({k: v.clone() for k, v in model.state_dict().items()})
        best.offer(epoch, loss, model)
    best.restore(model, last=3)
    assert best.epoch == 2
    assert all(torch.equal(v, weights[1][k]) for k, v in model.state_dict().items())
