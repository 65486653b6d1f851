"""Training a generator on a corpus: a user's causal-LM folder fine-tuned, or, with none, a
small GPT-2-style model trained from scratch with a byte-level BPE tokenizer fitted on the
corpus, sized to the budget. A plain torch loop (AdamW, linear decay, mixed precision on
GPU) with validation loss and perplexity after each epoch; a run whose time is up stops after
its current step, evaluates and saves (never half-saved)."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from textops._types import JSON
from textops.gen._generator import Generator
from textops.gen._tokenizer import Example, encode_examples, make_examples, train_tokenizer

__all__ = ["GenEpoch", "GenTrainConfig", "TrainedGenerator", "fit_generator", "scratch_size"]


class GenTrainConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    dataset: str
    model: str | None = Field(None, description="a local causal-LM folder; None: from scratch")
    epochs: int = Field(3, ge=1)
    lr: float | None = Field(None, gt=0, description="default 5e-4 from scratch, 5e-5 else")
    batch_size: int = Field(16, ge=1)
    max_length: int = Field(128, ge=8)
    timeout: float | None = Field(None, gt=0, description="seconds for training and saving")
    vocab_size: int = Field(4000, ge=300)
    seed: int = 0
    device: str = "auto"
    model_name: str | None = None
    register_model: bool = True
    tracking_uri: str | None = None


@dataclass(frozen=True)
class GenEpoch:
    epoch: int
    train_loss: float
    val_loss: float
    val_perplexity: float
    seconds: float


@dataclass
class TrainedGenerator:
    generator: Generator
    epochs: list[GenEpoch] = field(default_factory=list)
    stopped_by_budget: bool = False
    parameters: int = 0

    def as_json(self) -> JSON:
        return {
            "epochs": [asdict(e) for e in self.epochs],
            "stopped_by_budget": self.stopped_by_budget,
            "parameters": self.parameters,
        }


def scratch_size(timeout: float | None) -> dict[str, int]:
    """GPT-2 dimensions for a model trained from scratch: small enough to see its corpus a few
    times within the budget on a CPU."""
    if timeout is not None and timeout < 600:
        return {"n_layer": 2, "n_embd": 128, "n_head": 4}
    return {"n_layer": 4, "n_embd": 256, "n_head": 4}


def _model(config: GenTrainConfig, texts: Sequence[str]) -> tuple[Any, Any]:
    from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel

    from textops.gen._generator import model_class

    if config.model is not None:
        tok = AutoTokenizer.from_pretrained(config.model, local_files_only=True)
        cls, seq2seq = model_class(config.model)
        special = {"eos_token": "<|endoftext|>", "pad_token": "<|pad|>"}
        if not seq2seq:  # the prompt and its text share one sequence: mark where each starts
            special |= {"bos_token": "<|bos|>", "sep_token": "<|sep|>"}
        tok.add_special_tokens({k: v for k, v in special.items() if getattr(tok, k) is None
                                or k in ("bos_token", "sep_token")})  # fmt: skip
        model = cls.from_pretrained(config.model, local_files_only=True)
        model.resize_token_embeddings(len(tok))
        return model, tok
    tok = train_tokenizer(texts, config.vocab_size)
    size: dict[str, Any] = scratch_size(config.timeout)
    cfg = GPT2Config(
        vocab_size=len(tok), n_positions=config.max_length, bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
        **size,
    )  # fmt: skip
    return GPT2LMHeadModel(cfg), tok


def _batches(tok: Any, examples: list[Example], size: int, max_length: int, rng: Any) -> Any:
    order = rng.permutation(len(examples)) if rng is not None else range(len(examples))
    idx = list(order)
    for i in range(0, len(idx), size):
        yield encode_examples(tok, [examples[j] for j in idx[i : i + size]], max_length)


def _loss(model: Any, ids: Any, mask: Any, labels: Any, device: str) -> Any:
    out = model(input_ids=ids.to(device), attention_mask=mask.to(device), labels=labels.to(device))
    return out.loss


def _evaluate(
    model: Any, tok: Any, examples: list[Example], cfg: GenTrainConfig, dev: str
) -> float:
    import torch

    model.eval()
    total, count = 0.0, 0
    with torch.inference_mode():
        for ids, mask, labels in _batches(tok, examples, cfg.batch_size, cfg.max_length, None):
            shift = 0 if examples[0][0] is not None else 1  # a causal model predicts from 2nd
            n = int((labels[:, shift:] != -100).sum())
            total += _loss(model, ids, mask, labels, dev).item() * n
            count += n
    model.train()
    return total / max(count, 1)


def save_seconds(parameters: int) -> float:
    """Saving a model of ``parameters`` (safetensors, float32) and copying it into the
    tracking store, with room: what a timeout must leave after training."""
    return 3.0 + parameters * 4 * 2 / 50e6


@dataclass
class _Clock:
    """When training must stop so that, after it, the last validation pass and what follows
    (saving, logging, re-scoring a champion: ``after_evals`` validation passes and
    ``after_s`` seconds) still end by ``end``. The validation pass is estimated from the
    training batches (a forward pass costs about a third of a training step) until one is
    timed."""

    end: float
    after_s: float
    after_evals: int
    val_batches: int
    step_s: float | None = None
    eval_s: float | None = None

    def step(self, seconds: float) -> None:
        self.step_s = seconds if self.step_s is None else 0.9 * self.step_s + 0.1 * seconds

    def must_stop(self) -> bool:
        if math.isinf(self.end):
            return False
        per_eval = self.eval_s
        if per_eval is None:
            per_eval = (self.step_s or 0.0) / 3 * self.val_batches
        return time.monotonic() + per_eval * (1 + self.after_evals) + self.after_s > self.end


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """No notices from transformers while training (a step's warnings would print hundreds of
    times); its verbosity restored after."""
    import transformers

    log = transformers.utils.logging
    before = log.get_verbosity()
    log.set_verbosity_error()  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        log.set_verbosity(before)


def fit_generator(
    config: GenTrainConfig,
    train: tuple[list[str], list[str]],
    validation: tuple[list[str], list[str]],
    *,
    on_epoch: Callable[[GenEpoch], None] | None = None,
    end: float | None = None,
    after_s: float = 0.0,
    after_evals: int = 0,
) -> TrainedGenerator:
    """Train on ``(texts, prompts)``; validation loss after each epoch. With a timeout, the
    training stops so that it, its last validation pass and what the caller does after
    (``after_s`` seconds and ``after_evals`` validation passes) end by ``end`` (monotonic
    time; default: now + the timeout)."""
    import numpy as np
    import torch

    from textops.model import device_for

    torch.manual_seed(config.seed)
    began = time.monotonic()
    if end is None:
        end = began + config.timeout if config.timeout else math.inf
    dev = device_for(config.device)
    texts, prompts = train
    model, tok = _model(config, [*texts, *prompts])
    model.to(dev).train()
    seq2seq = bool(getattr(model.config, "is_encoder_decoder", False))
    if getattr(model, "loss_type", "") is None:  # GPT2LMHeadModel: transformers would warn
        model.loss_type = "ForConditionalGeneration" if seq2seq else "ForCausalLM"
    examples = make_examples(seq2seq, prompts, texts)
    val = make_examples(seq2seq, validation[1], validation[0])
    val = val or examples[: max(1, len(examples) // 10)]
    lr = config.lr or (5e-4 if config.model is None else 5e-5)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    steps = config.epochs * math.ceil(len(examples) / config.batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: max(0.0, 1 - s / max(steps, 1)))
    rng = np.random.default_rng(config.seed)
    result = TrainedGenerator(Generator(model, tok, device=dev))
    result.parameters = sum(p.numel() for p in model.parameters())
    clock = _Clock(end, after_s + save_seconds(result.parameters), after_evals,
                   math.ceil(len(val) / config.batch_size))  # fmt: skip
    with _quiet():
        _train_epochs(config, model, tok, examples, val, dev, opt, sched, rng, clock, result,
                      on_epoch)  # fmt: skip
    model.eval()
    result.generator.meta = {"max_length": config.max_length, "base_model": config.model}
    return result


def _train_epochs(
    config: GenTrainConfig, model: Any, tok: Any, examples: list[Example], val: list[Example],
    dev: str, opt: Any, sched: Any, rng: Any, clock: _Clock, result: TrainedGenerator,
    on_epoch: Callable[[GenEpoch], None] | None,
) -> None:  # fmt: skip
    """The epochs, each ended by a validation pass, until the last or the clock stops them."""
    import numpy as np
    import torch

    from textops.model import autocast

    for epoch in range(1, config.epochs + 1):
        t0, losses = time.monotonic(), []
        for ids, mask, labels in _batches(tok, examples, config.batch_size, config.max_length, rng):
            step_began = time.monotonic()
            with autocast(dev):
                loss = _loss(model, ids, mask, labels, dev)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            losses.append(loss.item())
            clock.step(time.monotonic() - step_began)
            if clock.must_stop():
                result.stopped_by_budget = True
                break
        eval_began = time.monotonic()
        val_loss = _evaluate(model, tok, val, config, dev)
        clock.eval_s = time.monotonic() - eval_began
        record = GenEpoch(epoch, float(np.mean(losses)), val_loss, math.exp(val_loss),
                          time.monotonic() - t0)  # fmt: skip
        result.epochs.append(record)
        if on_epoch is not None:
            on_epoch(record)
        if result.stopped_by_budget or clock.must_stop():
            result.stopped_by_budget = result.stopped_by_budget or epoch < config.epochs
            break
