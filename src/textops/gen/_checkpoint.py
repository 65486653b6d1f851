"""Resuming an interrupted ``gen train``: after each epoch the model, its tokenizer, the
optimiser's moments and the progress so far are written to one folder (safetensors and JSON,
no pickle), replaced whole, so a kill at any moment leaves the last complete epoch. The same
command on the same data version continues after it; a finished run removes the folder."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

__all__ = ["Checkpoint", "GenEpoch", "Progress"]

STATE = "state.json"
MOMENTS = "optimizer.safetensors"


@dataclass(frozen=True)
class GenEpoch:
    epoch: int
    train_loss: float
    val_loss: float
    val_perplexity: float
    seconds: float
    #: validation bits per character (comparable across tokenizers)
    val_bits_per_char: float = float("nan")
    #: optimiser steps in the epoch, and the seconds they took (validation apart)
    steps: int = 0
    train_seconds: float = 0.0


@dataclass(frozen=True)
class Progress:
    """What a run has done: its epochs (each complete) and optimiser steps."""

    epochs: tuple[GenEpoch, ...] = ()
    steps: int = 0

    @property
    def epoch(self) -> int:
        return self.epochs[-1].epoch if self.epochs else 0


@dataclass(frozen=True)
class Checkpoint:
    folder: Path
    #: what the folder must have been written for (the config and data version), else ignored
    key: str = ""

    def exists(self) -> bool:
        state = self.folder / STATE
        if not state.is_file():
            return False
        try:
            return bool(json.loads(state.read_text("utf-8")).get("key") == self.key)
        except ValueError:  # a damaged state: start again
            return False

    def save(
        self,
        model: PreTrainedModel,
        tok: PreTrainedTokenizerBase,
        opt: torch.optim.Optimizer,
        progress: Progress,
    ) -> None:
        """Write everything to a sibling folder, then swap it in."""
        from safetensors.torch import save_file

        tmp = self.folder.with_name(self.folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        model.save_pretrained(tmp, safe_serialization=True)
        tok.save_pretrained(tmp)
        save_file(_moments(model, opt), str(tmp / MOMENTS))
        state = {"key": self.key, "steps": progress.steps,
                 "epochs": [asdict(e) for e in progress.epochs]}  # fmt: skip
        (tmp / STATE).write_text(json.dumps(state), "utf-8")
        old = self.folder.with_name(self.folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.folder.exists():
            self.folder.rename(old)
        tmp.rename(self.folder)
        shutil.rmtree(old, ignore_errors=True)

    def load(self) -> tuple[PreTrainedModel, PreTrainedTokenizerBase, Progress]:
        """The saved model (train mode), tokenizer and progress."""
        from transformers import AutoTokenizer

        from textops.gen._generator import model_class

        state = json.loads((self.folder / STATE).read_text("utf-8"))
        model = model_class(self.folder)[0].from_pretrained(self.folder, local_files_only=True)
        tok = AutoTokenizer.from_pretrained(self.folder, local_files_only=True)
        epochs = tuple(GenEpoch(**e) for e in state["epochs"])
        return model, tok, Progress(epochs, int(state["steps"]))

    def restore_optimizer(self, model: PreTrainedModel, opt: torch.optim.Optimizer) -> None:
        """The optimiser's moments and step counts as saved (its rates come from the run)."""
        from safetensors.torch import load_file

        saved = load_file(str(self.folder / MOMENTS))
        for i, param in enumerate(model.parameters()):
            if f"{i}.exp_avg" in saved:
                opt.state[param] = {
                    "step": saved[f"{i}.step"].reshape(()),
                    "exp_avg": saved[f"{i}.exp_avg"].to(param.device),
                    "exp_avg_sq": saved[f"{i}.exp_avg_sq"].to(param.device),
                }

    def remove(self) -> None:
        for suffix in ("", ".tmp", ".old"):
            shutil.rmtree(self.folder.with_name(self.folder.name + suffix), ignore_errors=True)


def _moments(model: PreTrainedModel, opt: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    out = {}
    for i, param in enumerate(model.parameters()):
        state = opt.state.get(param)
        if state:
            out[f"{i}.step"] = state["step"].detach().reshape(1).cpu()
            out[f"{i}.exp_avg"] = state["exp_avg"].detach().cpu().contiguous()
            out[f"{i}.exp_avg_sq"] = state["exp_avg_sq"].detach().cpu().contiguous()
    return out
