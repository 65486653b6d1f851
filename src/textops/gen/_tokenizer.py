"""A byte-level BPE tokenizer fitted on the corpus (``tokenizers``): any script, no unknown
tokens, no download. Wrapped as a ``transformers`` fast tokenizer so the trained model saves
and loads like any Hugging Face folder."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["BOS", "EOS", "PAD", "SEP", "format_example", "train_tokenizer"]

BOS, SEP, EOS, PAD = "<|bos|>", "<|sep|>", "<|endoftext|>", "<|pad|>"


def format_example(prompt: str, text: str | None = None) -> str:
    """What the model reads: ``<|bos|>prompt<|sep|>text<|endoftext|>`` (``text`` None: the
    prompt to continue)."""
    head = f"{BOS}{prompt}{SEP}"
    return head if text is None else f"{head}{text}{EOS}"


def train_tokenizer(texts: Iterable[str], vocab_size: int = 4000) -> Any:
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        texts, vocab_size=vocab_size, min_frequency=2, special_tokens=[PAD, BOS, SEP, EOS],
        show_progress=False,
    )  # fmt: skip
    return PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=bpe._tokenizer,
        bos_token=BOS, eos_token=EOS, pad_token=PAD, sep_token=SEP,
    )  # fmt: skip
