"""What a training run keeps between epochs: the best epoch's weights (put back when a later
epoch ends worse) and the checkpoint each finished epoch replaces."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textops.gen._checkpoint import Checkpoint, GenEpoch, Progress

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

__all__ = ["BestEpoch", "EpochSaver"]


@dataclass
class BestEpoch:
    """The weights of the epoch with the lowest validation loss so far (a copy on the CPU),
    put back when a later epoch ends worse: a small corpus seen without dropout overfits
    within a few epochs, and the registered model should be its best one."""

    epoch: int = 0
    loss: float = math.inf
    state: dict[str, torch.Tensor] | None = None

    def offer(self, epoch: int, loss: float, model: PreTrainedModel) -> None:
        if loss < self.loss:
            self.epoch, self.loss = epoch, loss
            self.state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}

    def restore(self, model: PreTrainedModel, last: int) -> None:
        if self.state is not None and self.epoch != last:
            model.load_state_dict(self.state)


@dataclass
class EpochSaver:
    """Each finished epoch into the checkpoint (none when the run is about to end anyway)."""

    checkpoint: Checkpoint | None
    steps: int

    def save(
        self,
        model: PreTrainedModel,
        tok: PreTrainedTokenizerBase,
        opt: torch.optim.Optimizer,
        epochs: list[GenEpoch],
        steps: int,
    ) -> None:
        self.steps += steps
        if self.checkpoint is not None:
            self.checkpoint.save(model, tok, opt, Progress(tuple(epochs), self.steps))
