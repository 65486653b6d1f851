"""A trained text generator: a causal language model and its tokenizer in one folder
(safetensors weights, no pickle) with ``generator.json`` (the prompt format and sampling
defaults). Generation is batched: every prompt x sample of a setting goes through
``model.generate`` in batches with left padding and the KV cache."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textops._types import JSON
from textops.gen._decoding import Decoding, SamplingDefaults
from textops.gen._lora import ADAPTER_CONFIG, load_adapter
from textops.gen._tokenizer import encode_examples, format_example, make_examples

if TYPE_CHECKING:
    from transformers.models.auto.auto_factory import _BaseAutoModelClass

__all__ = ["GENERATOR_FILE", "Generator", "TrainedOn"]

GENERATOR_FILE = "generator.json"


def model_class(path: str | Path) -> tuple[type[_BaseAutoModelClass], bool]:
    """The Auto class for the model folder at ``path``, and whether it is encoder-decoder
    (T5, BART: the prompt is the input, the text the output)."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM

    seq2seq = bool(getattr(AutoConfig.from_pretrained(path, local_files_only=True),
                           "is_encoder_decoder", False))  # fmt: skip
    return (AutoModelForSeq2SeqLM if seq2seq else AutoModelForCausalLM), seq2seq


def quiet_transformers() -> None:
    """No weight-loading or shard-writing bars in a command's output."""
    import transformers

    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class TrainedOn:
    """The stored corpus a generator was trained on."""

    dataset: str
    version: str | None


@dataclass
class Generator:
    model: Any
    tokenizer: Any
    sampling: SamplingDefaults = field(default_factory=SamplingDefaults)
    meta: JSON = field(default_factory=dict)
    device: str = "cpu"
    #: new tokens (up to and including end of text) the last ``generate`` call produced
    last_new_tokens: int = 0

    @property
    def trained_on(self) -> TrainedOn | None:
        """The corpus named in its metadata (None for a folder that names none)."""
        name, version = self.meta.get("dataset"), self.meta.get("dataset_version")
        if not name:
            return None
        return TrainedOn(str(name), None if version is None else str(version))

    # -- persistence -----------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        quiet_transformers()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(path, safe_serialization=True)
        self.tokenizer.save_pretrained(path)
        info = {"format": 1, "sampling": vars(self.sampling), **self.meta}
        (path / GENERATOR_FILE).write_text(json.dumps(info, indent=2, ensure_ascii=False))
        return path

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> Generator:
        from transformers import AutoTokenizer

        from textops.errors import ModelNotFoundError

        quiet_transformers()
        path = Path(path)
        if not (path / GENERATOR_FILE).is_file():
            raise ModelNotFoundError(f"{path} is not a textops generator (no {GENERATOR_FILE})")
        info = json.loads((path / GENERATOR_FILE).read_text())
        model: Any
        if (path / ADAPTER_CONFIG).is_file():  # a LoRA adapter saved apart from its base
            task = json.loads((path / ADAPTER_CONFIG).read_text()).get("task_type")
            model = load_adapter(path, seq2seq=task == "SEQ_2_SEQ_LM")
        else:
            model = model_class(path)[0].from_pretrained(path, local_files_only=True)
        model = model.to(device)
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model.eval()
        sampling = SamplingDefaults(**info.pop("sampling", {}))
        info.pop("format", None)
        return cls(model, tokenizer, sampling, info, device)

    @property
    def seq2seq(self) -> bool:
        return bool(getattr(self.model.config, "is_encoder_decoder", False))

    # -- use ---------------------------------------------------------------------------------
    def generate(
        self,
        prompts: Sequence[str],
        decoding: Decoding | None = None,
        *,
        seed: int = 0,
        batch_size: int = 32,
    ) -> list[str]:
        """One continuation per prompt, in order; the same seed gives the same texts. What
        ``decoding`` leaves unset takes the model's defaults (``self.sampling``)."""
        import torch

        tok = self.tokenizer
        # a causal model's new tokens follow every prompt directly: pad on the left
        tok.padding_side = "right" if self.seq2seq else "left"
        out: list[str] = []
        self.last_new_tokens = 0
        torch.manual_seed(seed)
        how = (decoding or Decoding()).resolved(self.sampling).generate_kwargs()
        for i in range(0, len(prompts), batch_size):
            part = prompts[i : i + batch_size]
            chunk = list(part) if self.seq2seq else [format_example(p) for p in part]
            enc = tok(chunk, return_tensors="pt", padding=True, add_special_tokens=self.seq2seq)
            enc = {k: v.to(self.device) for k, v in enc.items() if k != "token_type_ids"}
            with torch.inference_mode():
                ids = self.model.generate(
                    **enc, **how, pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id
                )
            new = ids if self.seq2seq else ids[:, enc["input_ids"].shape[1] :]
            self.last_new_tokens += int((new != tok.pad_token_id).sum())
            out += [t.strip() for t in tok.batch_decode(new, skip_special_tokens=True)]
        return out

    def perplexity(
        self, texts: Sequence[str], prompts: Sequence[str] | None = None, batch_size: int = 16
    ) -> float:
        """exp of the mean token loss of ``texts`` (after their prompts) under the model."""
        nats, tokens = self.text_loss(texts, prompts, batch_size)
        return math.exp(nats / max(tokens, 1))

    def bits_per_char(
        self, texts: Sequence[str], prompts: Sequence[str] | None = None, batch_size: int = 16
    ) -> float:
        """Bits per character of ``texts`` (after their prompts): comparable across
        tokenizers, unlike perplexity, since every model pays for the same characters."""
        nats, _ = self.text_loss(texts, prompts, batch_size)
        return nats / math.log(2) / max(sum(len(t) for t in texts), 1)

    def text_loss(
        self, texts: Sequence[str], prompts: Sequence[str] | None = None, batch_size: int = 16
    ) -> tuple[float, int]:
        """Summed negative log-likelihood (nats) of ``texts`` and their end-of-text tokens,
        each after its prompt, and how many tokens it covers."""
        import torch

        prompts = prompts or [""] * len(texts)
        examples = make_examples(self.seq2seq, prompts, texts)
        shift = 0 if self.seq2seq else 1  # a causal model predicts each token from the last
        total, count = 0.0, 0
        for i in range(0, len(examples), batch_size):
            ids, mask, labels = encode_examples(
                self.tokenizer, examples[i : i + batch_size], self.max_length
            )
            ids, mask, labels = ids.to(self.device), mask.to(self.device), labels.to(self.device)
            with torch.inference_mode():
                extra = {"labels": labels} if self.seq2seq else {}
                logits = self.model(input_ids=ids, attention_mask=mask, **extra).logits
            loss = torch.nn.functional.cross_entropy(
                logits[:, : logits.shape[1] - shift].reshape(-1, logits.shape[-1]).float(),
                labels[:, shift:].reshape(-1), ignore_index=-100, reduction="sum",
            )  # fmt: skip
            total += float(loss)
            count += int((labels[:, shift:] != -100).sum())
        return total, count

    @property
    def context(self) -> int:
        """Tokens the model can attend to: prompt and new tokens of a causal model together;
        the prompt (and, apart, the new tokens) of an encoder-decoder."""
        cfg = self.model.config
        limit = getattr(cfg, "n_positions", None) or getattr(cfg, "max_position_embeddings", None)
        if not limit:  # relative positions (T5): the tokenizer's declared limit, when sane
            declared = getattr(self.tokenizer, "model_max_length", 512)
            limit = declared if isinstance(declared, int) and declared < 1_000_000 else 512
        return int(limit)

    def prompt_tokens(self, prompts: Sequence[str]) -> list[int]:
        """How many tokens each prompt takes as the model sees it."""
        chunk = list(prompts) if self.seq2seq else [format_example(p) for p in prompts]
        enc = self.tokenizer(chunk, add_special_tokens=self.seq2seq)
        return [len(ids) for ids in enc["input_ids"]]

    def check_fits(self, prompts: Sequence[str], max_new_tokens: int) -> None:
        """A PayloadTooLargeError naming the field when a prompt with ``max_new_tokens`` new
        tokens does not fit the model's context (the model cannot index past it)."""
        from textops.errors import PayloadTooLargeError

        limit = self.context
        if max_new_tokens > (limit if self.seq2seq else limit - 1):
            raise PayloadTooLargeError(
                f"max_new_tokens: {max_new_tokens} is over this model's context of {limit} "
                "tokens; ask for fewer", field="max_new_tokens",
            )  # fmt: skip
        for i, n in enumerate(self.prompt_tokens(prompts)):
            total = n if self.seq2seq else n + max_new_tokens
            if total > limit:
                raise PayloadTooLargeError(
                    f"prompts.{i}: {n:,} prompt tokens"
                    + ("" if self.seq2seq else f" + max_new_tokens {max_new_tokens}")
                    + f" is over this model's context of {limit} tokens; shorten the prompt"
                    + ("" if self.seq2seq else " or lower max_new_tokens"),
                    field=f"prompts.{i}",
                )

    @property
    def max_length(self) -> int:
        cfg = self.model.config
        limit = getattr(cfg, "n_positions", None) or getattr(cfg, "max_position_embeddings", 512)
        value: Any = self.meta.get("max_length") or limit
        return int(value)
