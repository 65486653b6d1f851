"""Training a generator on a corpus: a packaged encoder warm-started as a generator, a user's
folder fine-tuned, or a small GPT-2-style model trained from scratch with a byte-level BPE
tokenizer fitted on the corpus, sized to the budget. A plain torch loop (AdamW, linear decay,
mixed precision on GPU) with validation loss, perplexity and bits per character after each
epoch; a run whose time is up stops after its current step, evaluates and saves (never
half-saved)."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from textops._types import JSON
from textops.gen._checkpoint import Checkpoint, GenEpoch, Progress
from textops.gen._epochs import BestEpoch, EpochSaver
from textops.gen._generator import Generator, quiet_transformers
from textops.gen._lora import LoraSave, add_lora, finish_lora
from textops.gen._tokenizer import Example, encode_examples, make_examples, train_tokenizer
from textops.gen._warm import (
    AUTO,
    BASE_MODELS,
    SCRATCH,
    Architecture,
    WarmStart,
    load_base,
    resolve_start,
)

__all__ = ["GenEpoch", "GenTrainConfig", "TrainedGenerator", "fit_generator", "scratch_size"]


class GenTrainConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    dataset: str
    model: str = Field(
        AUTO,
        description=f"{SCRATCH}, a packaged encoder to warm-start from "
        f"({', '.join(BASE_MODELS)}), a local Hugging Face model folder, or {AUTO} (MiniLM "
        "for an English corpus, else from scratch)",
    )
    arch: Architecture = Field(
        "decoder",
        description="how an encoder generates: decoder (one causal model reads the prompt, "
        "then writes) or encoder-decoder (the encoder reads the prompt, a second copy writes)",
    )
    epochs: int = Field(3, ge=1)
    lr: float | None = Field(
        None, gt=0, description="default 5e-4 from scratch or a packaged encoder, 5e-5 else"
    )
    batch_size: int = Field(16, ge=1)
    max_length: int = Field(128, ge=8)
    timeout: float | None = Field(None, gt=0, description="seconds for training and saving")
    vocab_size: int = Field(4000, ge=300)
    seed: int = 0
    device: str = "auto"
    model_name: str | None = None
    register_model: bool = True
    resume: bool = Field(
        True, description="continue an interrupted run of the same command after its last epoch"
    )
    lora_rank: int = Field(
        0,
        ge=0,
        le=256,
        description="train LoRA adapters of this rank instead of every weight (0: off; peft)",
    )
    lora_save: LoraSave = Field(
        "merged",
        description="merged: the adapters folded into a plain model; adapter: the "
        "adapter alone, loaded onto its base folder",
    )
    tracking_uri: str | None = None


@dataclass
class TrainedGenerator:
    generator: Generator
    epochs: list[GenEpoch] = field(default_factory=list)
    stopped_by_budget: bool = False
    parameters: int = 0
    #: epochs an interrupted run had finished before this one continued it
    resumed_after: int = 0
    #: the epoch whose weights the generator has: the lowest validation loss
    best_epoch: int = 0

    def as_json(self) -> JSON:
        return {
            "epochs": [asdict(e) for e in self.epochs],
            "stopped_by_budget": self.stopped_by_budget,
            "parameters": self.parameters,
            "best_epoch": self.best_epoch,
        }

    @property
    def best(self) -> GenEpoch:
        return next(e for e in self.epochs if e.epoch == self.best_epoch)


def default_lr(model: str) -> float:
    """A new model, or an encoder whose head starts untrained and whose attention turns
    causal, learns fastest near 5e-4 (MiniLM at 60 s: 2e-4 and 1e-3 ended higher in held-out
    bits/char); a pretrained generator is fine-tuned gently."""
    return 5e-4 if model in (SCRATCH, AUTO, *BASE_MODELS) else 5e-5


def scratch_size(timeout: float | None) -> dict[str, int]:
    """GPT-2 dimensions for a model trained from scratch: small enough to see its corpus a few
    times within the budget on a CPU."""
    if timeout is not None and timeout < 600:
        return {"n_layer": 2, "n_embd": 128, "n_head": 4}
    return {"n_layer": 4, "n_embd": 256, "n_head": 4}


def _model(config: GenTrainConfig, texts: Sequence[str]) -> tuple[Any, Any]:
    from transformers import GPT2Config, GPT2LMHeadModel

    start = resolve_start(config.model, None)
    if start != SCRATCH:
        return load_base(WarmStart(start, config.arch), texts)
    tok = train_tokenizer(texts, config.vocab_size)
    size: dict[str, Any] = scratch_size(config.timeout)
    cfg = GPT2Config(
        vocab_size=len(tok), n_positions=config.max_length, bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
        **size,
    )  # fmt: skip
    return GPT2LMHeadModel(cfg), tok


def _batches(tok: Any, examples: list[Example], size: int, max_length: int, rng: Any) -> Any:
    """Batches of encoded examples; with ``rng``, shuffled, each batch drawn from texts of
    similar length (a window of shuffled texts sorted by length, then the batches shuffled),
    so little of a step's work goes to padding."""
    if rng is None:
        idx = list(range(len(examples)))
    else:
        order = [int(i) for i in rng.permutation(len(examples))]
        window = size * 50
        idx = []
        for w in range(0, len(order), window):
            idx += sorted(order[w : w + window], key=lambda j: len(examples[j][1]))
        starts = [int(i) for i in rng.permutation(range(0, len(idx), size))]
        idx = [j for s in starts for j in idx[s : s + size]]
    for i in range(0, len(idx), size):
        yield encode_examples(tok, [examples[j] for j in idx[i : i + size]], max_length)


def _loss(model: Any, ids: Any, mask: Any, labels: Any, device: str) -> Any:
    out = model(input_ids=ids.to(device), attention_mask=mask.to(device), labels=labels.to(device))
    return out.loss


@dataclass(frozen=True)
class _Validation:
    examples: list[Example]
    #: characters of the texts the examples score (bits per character divide by it)
    chars: int


def _evaluate(
    model: Any, tok: Any, val: _Validation, cfg: GenTrainConfig, dev: str
) -> tuple[float, int]:
    """The validation set's summed loss (nats) over the tokens it scores."""
    import torch

    model.eval()
    total, count = 0.0, 0
    shift = 0 if val.examples[0][0] is not None else 1  # a causal model predicts from the 2nd
    with torch.inference_mode():
        for ids, mask, labels in _batches(tok, val.examples, cfg.batch_size, cfg.max_length, None):
            n = int((labels[:, shift:] != -100).sum())
            total += _loss(model, ids, mask, labels, dev).item() * n
            count += n
    model.train()
    return total, count


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
    began: float = field(default_factory=time.monotonic)
    step_s: float | None = None
    eval_s: float | None = None

    def spent(self) -> float:
        """The share of the training time used so far (0 without a deadline)."""
        if math.isinf(self.end):
            return 0.0
        return (time.monotonic() - self.began) / max(self.end - self.after_s - self.began, 1e-9)

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
    checkpoint: Checkpoint | None = None,
) -> TrainedGenerator:
    """Train on ``(texts, prompts)``; validation loss after each epoch. With a timeout, the
    training stops so that it, its last validation pass and what the caller does after
    (``after_s`` seconds and ``after_evals`` validation passes) end by ``end`` (monotonic
    time; default: now + the timeout). With a ``checkpoint``, each epoch is saved to it and
    a run it holds is continued after its last epoch."""
    import numpy as np
    import torch

    from textops.model import device_for

    torch.manual_seed(config.seed)
    began = time.monotonic()
    if end is None:
        end = began + config.timeout if config.timeout else math.inf
    dev = device_for(config.device)
    texts, prompts = train
    quiet_transformers()  # no weight-loading bars
    progress = Progress()
    model: Any
    tok: Any
    with _quiet():  # no load report of the head's new weights
        if checkpoint is not None and checkpoint.exists():
            model, tok, progress = checkpoint.load()
        else:
            model, tok = _model(config, [*texts, *prompts])
    seq2seq = bool(getattr(model.config, "is_encoder_decoder", False))
    if config.lora_rank:
        model = add_lora(model, config.lora_rank, seq2seq)
    model.to(dev).train()
    if getattr(model, "loss_type", "") is None:  # GPT2LMHeadModel: transformers would warn
        model.loss_type = "ForConditionalGeneration" if seq2seq else "ForCausalLM"
    examples = make_examples(seq2seq, prompts, texts)
    if not validation[0]:  # no validation split: a tenth of the training texts
        k = max(1, len(texts) // 10)
        validation = (texts[:k], prompts[:k])
    val = _Validation(make_examples(seq2seq, validation[1], validation[0]),
                      sum(len(t) for t in validation[0]))  # fmt: skip
    lr = config.lr or default_lr(config.model)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    if progress.epochs and checkpoint is not None:
        checkpoint.restore_optimizer(model, opt)
    steps = config.epochs * math.ceil(len(examples) / config.batch_size)
    rng = np.random.default_rng([config.seed, progress.epoch])
    result = TrainedGenerator(Generator(model, tok, device=dev), list(progress.epochs),
                              resumed_after=progress.epoch)  # fmt: skip
    result.parameters = sum(p.numel() for p in model.parameters())
    clock = _Clock(end, after_s + save_seconds(result.parameters), after_evals,
                   math.ceil(len(val.examples) / config.batch_size))  # fmt: skip
    # the rate falls linearly to 0 by the last step, or by the deadline when that comes first
    # (a budget that ends a run mid-schedule would otherwise stop it at a high rate)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: max(0.0, 1 - max((s + progress.steps) / max(steps, 1), clock.spent()))
    )
    with _quiet():
        _train_epochs(config, model, tok, examples, val, dev, opt, sched, rng, clock, result,
                      on_epoch, EpochSaver(checkpoint, progress.steps))  # fmt: skip
    model.eval()
    if config.lora_rank:
        result.generator.model = model = finish_lora(model, config.lora_save)
    result.generator.meta = {
        "max_length": config.max_length,
        "base_model": config.model,
        "arch": config.arch,
    }
    return result


def _train_epochs(
    config: GenTrainConfig, model: Any, tok: Any, examples: list[Example], val: _Validation,
    dev: str, opt: Any, sched: Any, rng: Any, clock: _Clock, result: TrainedGenerator,
    on_epoch: Callable[[GenEpoch], None] | None, saver: EpochSaver,
) -> None:  # fmt: skip
    """The epochs after those already done, each ended by a validation pass and saved, until
    the last or the clock stops them; then the best epoch's weights."""
    from textops._progress import progress

    best = BestEpoch()
    if result.epochs:  # resumed: the checkpoint's weights are the last saved epoch's
        best.offer(result.epochs[-1].epoch, result.epochs[-1].val_loss, model)
    per_epoch = math.ceil(len(examples) / config.batch_size)
    todo = per_epoch * (config.epochs - len(result.epochs))
    with progress("training the generator (steps)", todo) as bar:
        for epoch in range(len(result.epochs) + 1, config.epochs + 1):
            if _epoch(config, model, tok, examples, val, dev, opt, sched, rng, clock, result,
                      on_epoch, saver, epoch, bar, best):  # fmt: skip
                break
    if result.epochs:
        best.restore(model, result.epochs[-1].epoch)
        result.best_epoch = best.epoch or result.epochs[-1].epoch


def _epoch(
    config: GenTrainConfig, model: Any, tok: Any, examples: list[Example], val: _Validation,
    dev: str, opt: Any, sched: Any, rng: Any, clock: _Clock, result: TrainedGenerator,
    on_epoch: Callable[[GenEpoch], None] | None, saver: EpochSaver, epoch: int, bar: Any,
    best: BestEpoch,
) -> bool:  # fmt: skip
    """One epoch and its validation pass; True when the run must end after it."""
    import numpy as np
    import torch

    from textops.model import autocast

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
        bar.advance()
        clock.step(time.monotonic() - step_began)
        if clock.must_stop():
            result.stopped_by_budget = True
            break
    eval_began = time.monotonic()
    nats, tokens = _evaluate(model, tok, val, config, dev)
    clock.eval_s = time.monotonic() - eval_began
    val_loss = nats / max(tokens, 1)
    record = GenEpoch(epoch, float(np.mean(losses)), val_loss, math.exp(val_loss),
                      time.monotonic() - t0, nats / math.log(2) / max(val.chars, 1),
                      len(losses), eval_began - t0)  # fmt: skip
    result.epochs.append(record)
    best.offer(epoch, val_loss, model)
    if on_epoch is not None:
        on_epoch(record)
    if result.stopped_by_budget or clock.must_stop():
        result.stopped_by_budget = result.stopped_by_budget or epoch < config.epochs
        return True
    if epoch < config.epochs:
        saver.save(model, tok, opt, result.epochs, len(losses))
    return False
