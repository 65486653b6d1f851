"""LoRA for a user's larger generator (``gen train --lora-rank R``, peft): the pretrained
weights stay frozen and small low-rank updates of every linear layer are trained, so a model
too big to fine-tune whole on the hardware at hand still adapts to a corpus. Saved merged (a
plain model folder, nothing new to load it) or as the adapter alone (megabytes; loaded onto
its base folder, which must still be there)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from transformers import PreTrainedModel

__all__ = ["ADAPTER_CONFIG", "LoraSave", "add_lora", "check_lora", "finish_lora", "load_adapter"]

ADAPTER_CONFIG = "adapter_config.json"
LoraSave = Literal["merged", "adapter"]


def check_lora(rank: int, save: LoraSave, start: str, native_generator: bool) -> None:
    """Refuse what LoRA cannot do here, before any weight is loaded."""
    from textops.errors import ConfigError

    if rank and start == "scratch":
        raise ConfigError("--lora-rank adapts a pretrained model; a model trained from scratch "
                          "trains all its weights (use --model minilm, mpnet or PATH)")  # fmt: skip
    if rank and save == "adapter" and not native_generator:
        raise ConfigError(
            f"--lora-save adapter: {start} becomes a generator only in textops (an encoder "
            "given causal attention and a trimmed vocabulary), so an adapter could not be "
            "loaded onto it as it is saved; use --lora-save merged"
        )


def add_lora(model: PreTrainedModel, rank: int, seq2seq: bool) -> PreTrainedModel:
    """``model`` with rank-``rank`` adapters on every linear layer (the output layer aside),
    only they trainable."""
    from textops._packages import require

    require("gen", "--lora-rank", "peft")
    from peft import LoraConfig, TaskType, get_peft_model

    task = TaskType.SEQ_2_SEQ_LM if seq2seq else TaskType.CAUSAL_LM
    config = LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.0,
                        target_modules="all-linear", task_type=task)  # fmt: skip
    with warnings.catch_warnings():  # GPT-2's Conv1D layers: peft says it transposes them
        warnings.simplefilter("ignore", UserWarning)
        adapted: PreTrainedModel = get_peft_model(model, config)  # type: ignore[assignment]
    return adapted


def finish_lora(model: PreTrainedModel, save: LoraSave) -> PreTrainedModel:
    """What is saved: the adapters merged into the weights, or the adapted model as it is
    (its ``save_pretrained`` writes the adapter and, resized for new tokens, the embeddings)."""
    if save == "merged":
        merged: PreTrainedModel = model.merge_and_unload()  # type: ignore[operator]
        return merged
    return model


def load_adapter(path: Path, seq2seq: bool) -> PreTrainedModel:
    """An adapter folder onto its base (named in its config, a local folder)."""
    from textops._packages import require
    from textops.errors import ModelNotFoundError

    require("gen", "an adapter generator", "peft")
    from peft import AutoPeftModelForCausalLM, AutoPeftModelForSeq2SeqLM

    if not (path / "adapter_model.safetensors").is_file():  # never a pickled adapter
        raise ModelNotFoundError(f"{path} has no adapter_model.safetensors")
    base = json.loads((path / ADAPTER_CONFIG).read_text()).get("base_model_name_or_path")
    if not base or not Path(str(base)).is_dir():
        raise ModelNotFoundError(
            f"{path} is a LoRA adapter on {base!r}, which is not a folder here; an adapter "
            "loads onto its base model (or train with --lora-save merged)"
        )
    cls = AutoPeftModelForSeq2SeqLM if seq2seq else AutoPeftModelForCausalLM
    model: PreTrainedModel = cls.from_pretrained(path, local_files_only=True)
    return model
