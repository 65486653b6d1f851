"""LoRA (peft) for a user's generator: only the adapters train; saved merged (a plain folder
the transformers Auto classes load) or as the adapter alone (loaded onto its base folder)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from textops.data import Dataset
from textops.errors import ConfigError
from textops.gen import Decoding, load_generator, train_generator
from textops.track import default_tracking_uri, download_model

from .test_gen import _cfg, corpus


def _user_gpt2(folder: Path) -> Path:
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    from textops.gen._tokenizer import train_tokenizer

    base = train_tokenizer([t for t, _ in corpus()], 300)
    plain = PreTrainedTokenizerFast(tokenizer_object=base.backend_tokenizer, eos_token="<|pad|>")
    torch.manual_seed(0)
    GPT2LMHeadModel(GPT2Config(vocab_size=len(plain), n_positions=64, n_layer=2, n_embd=32,
                               n_head=2)).save_pretrained(folder)  # fmt: skip
    plain.save_pretrained(folder)
    return folder


def test_lora_merged_is_a_plain_model_with_changed_weights(
    horo: Dataset, home: Path, tmp_path: Path
) -> None:
    from transformers import AutoModelForCausalLM

    folder = _user_gpt2(tmp_path / "base")
    report = train_generator(_cfg(model=str(folder), epochs=2, lr=5e-3, lora_rank=4), home=home)
    assert report.epochs[-1].val_loss < report.epochs[0].val_loss
    saved = download_model(report.model_uri or "", default_tracking_uri(home))
    assert not (saved / "adapter_config.json").exists()
    merged = AutoModelForCausalLM.from_pretrained(saved, local_files_only=True)
    base = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True)
    name = "transformer.h.0.attn.c_attn.weight"
    assert not torch.equal(merged.state_dict()[name], base.state_dict()[name])
    assert torch.equal(merged.state_dict()["transformer.wpe.weight"],
                       base.state_dict()["transformer.wpe.weight"])  # frozen: not adapted  # fmt: skip


def test_lora_adapter_is_saved_alone_and_loads_onto_its_base(
    horo: Dataset, home: Path, tmp_path: Path
) -> None:
    folder = _user_gpt2(tmp_path / "base")
    report = train_generator(
        _cfg(model=str(folder), epochs=1, lr=5e-3, lora_rank=4, lora_save="adapter"), home=home
    )
    saved = download_model(report.model_uri or "", default_tracking_uri(home))
    assert (saved / "adapter_config.json").is_file() and not (saved / "model.safetensors").exists()
    gen = load_generator(report.model_uri or "", default_tracking_uri(home))
    assert len(gen.generate(["Овен", "Cancer"], Decoding(max_new_tokens=4))) == 2


def test_lora_refuses_what_it_cannot_do(horo: Dataset, home: Path) -> None:
    with pytest.raises(ConfigError, match="from scratch"):
        train_generator(_cfg(lora_rank=4), home=home)
    with pytest.raises(ConfigError, match="--lora-save merged"):
        train_generator(_cfg(model="minilm", lora_rank=4, lora_save="adapter"), home=home)


def test_an_adapter_without_safetensors_is_refused(tmp_path: Path) -> None:
    from textops.errors import ModelNotFoundError
    from textops.gen._lora import load_adapter

    (tmp_path / "adapter_config.json").write_text('{"base_model_name_or_path": "/nowhere"}')
    (tmp_path / "adapter_model.bin").write_bytes(b"pickle")
    with pytest.raises(ModelNotFoundError, match="safetensors"):
        load_adapter(tmp_path, seq2seq=False)
