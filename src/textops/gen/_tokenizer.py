"""A byte-level BPE tokenizer fitted on the corpus (``tokenizers``): any script, no unknown
tokens, no download. Wrapped as a ``transformers`` fast tokenizer so the trained model saves
and loads like any Hugging Face folder."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedTokenizerBase, PreTrainedTokenizerFast

__all__ = [
    "BOS",
    "EOS",
    "PAD",
    "SEP",
    "Example",
    "encode_examples",
    "format_example",
    "make_examples",
    "train_tokenizer",
]

BOS, SEP, EOS, PAD = "<|bos|>", "<|sep|>", "<|endoftext|>", "<|pad|>"


def format_example(prompt: str, text: str | None = None) -> str:
    """What the model reads: ``<|bos|>prompt<|sep|>text<|endoftext|>`` (``text`` None: the
    prompt to continue)."""
    head = f"{BOS}{prompt}{SEP}"
    return head if text is None else f"{head}{text}{EOS}"


def train_tokenizer(texts: Iterable[str], vocab_size: int = 4000) -> PreTrainedTokenizerFast:
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


#: a training example: (source, target); a causal model reads one string (source None)
Example = tuple[str | None, str]


def make_examples(seq2seq: bool, prompts: Sequence[str], texts: Sequence[str]) -> list[Example]:
    if seq2seq:
        return [(p, t) for p, t in zip(prompts, texts, strict=True)]
    return [(None, format_example(p, t)) for p, t in zip(prompts, texts, strict=True)]


def encode_examples(
    tok: PreTrainedTokenizerBase, chunk: Sequence[Example], max_length: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Input ids, attention mask and labels of a batch of examples. Only the text is scored:
    padding and, in a causal model's sequence, the prompt up to its separator are -100 (the
    model reads the prompt but is not trained to write it, as in supervised fine-tuning)."""
    tok.padding_side = "right"
    kw: dict[str, Any] = {"return_tensors": "pt", "padding": True, "truncation": True,
                          "max_length": max_length}  # fmt: skip
    if chunk and chunk[0][0] is not None:  # seq2seq: the prompt in, the text out
        enc = tok([s or "" for s, _ in chunk], **kw)
        out = tok([t for _, t in chunk], **kw)
        labels = out["input_ids"].masked_fill(out["attention_mask"] == 0, -100)
        return enc["input_ids"], enc["attention_mask"], labels
    import torch

    enc = tok([t for _, t in chunk], add_special_tokens=False, **kw)
    ids = enc["input_ids"]
    is_sep = ids == tok.convert_tokens_to_ids(SEP)
    # the first separator ends the prompt (a row truncated before it keeps every token)
    text_from = torch.where(is_sep.any(1), is_sep.int().argmax(1) + 1, 0)
    prompt = torch.arange(ids.shape[1]).unsqueeze(0) < text_from.unsqueeze(1)
    labels = ids.masked_fill((enc["attention_mask"] == 0) | prompt, -100)
    return ids, enc["attention_mask"], labels
