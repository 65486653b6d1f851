"""The torch training loop the trained heads share (``finetune``, ``setfit``, ``bilstm``).

A plain loop rather than Hugging Face ``Trainer``: texts are tokenised once up front, batches
are padded to their own longest text (dynamic padding) and drawn from length-sorted pools, and
the caller's :class:`TrainingHooks` see the measured speed after the first batches (to cap the
epochs to the time left) and every epoch's validation score (to prune or stop). ``bench/
finetune.py`` measures this loop's samples/s against ``Trainer`` on the same model and data.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np

if TYPE_CHECKING:
    import torch
    from sklearn.linear_model import LogisticRegression

__all__ = [
    "EpochRecord",
    "LoopSpec",
    "NoHooks",
    "TrainingHooks",
    "autocast",
    "batches",
    "class_weights",
    "device_for",
    "fit_epochs",
    "linear_head",
    "set_threads",
]

#: batches timed before the hooks are asked how many epochs fit, after one untimed warm-up
#: batch (the first pays for lazy allocations and would overstate an epoch's time)
PROBE_BATCHES = 2


S = TypeVar("S")  # what a snapshot of a network holds (its weights)


@dataclass(frozen=True)
class EpochRecord:
    epoch: int
    train_loss: float
    val_macro_f1: float | None
    seconds: float


class TrainingHooks(Protocol):
    """What a caller (the search's trial, ``textops finetune``) learns while a head trains."""

    def probed(self, seconds_per_sample: float, samples_per_epoch: int) -> int | None:
        """After the first batches: the epochs that may run (None: as configured). Raises to
        stop before any more time is spent (a budget too small)."""
        ...

    def epoch_end(self, record: EpochRecord) -> None:
        """After each epoch; raises to stop (a pruner)."""
        ...


class NoHooks:
    def probed(self, seconds_per_sample: float, samples_per_epoch: int) -> int | None:
        return None

    def epoch_end(self, record: EpochRecord) -> None:
        return None


def device_for(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def set_threads(threads: int | None) -> None:
    """torch's intra-op threads: the cores this process was given (None: leave as is)."""
    if threads:
        import torch

        torch.set_num_threads(int(threads))


@contextlib.contextmanager
def autocast(device: str) -> Iterator[None]:
    """Mixed precision on CUDA (bf16 where supported, else fp16); full precision on CPU."""
    if not device.startswith("cuda"):
        yield
        return
    import torch

    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    with torch.autocast("cuda", dtype=dtype):
        yield


def class_weights(y: np.ndarray, n_classes: int, mode: str | None) -> torch.Tensor | None:
    """Loss weights per class: None, or ``balanced`` (scikit-learn's formula)."""
    if mode != "balanced":
        return None
    import torch
    from sklearn.utils.class_weight import compute_class_weight

    present = np.unique(y)
    w = np.ones(n_classes)
    w[present] = compute_class_weight("balanced", classes=present, y=y)
    return torch.tensor(w, dtype=torch.float32)


def batches(
    lengths: Sequence[int], batch_size: int, *, shuffle: bool, seed: int = 0
) -> list[np.ndarray]:
    """Row indices in batches of similar length. Training: shuffled, then sorted by length
    within pools of 50 batches (little padding, still random); inference: longest first."""
    idx = np.arange(len(lengths))
    lens = np.asarray(lengths)
    if not shuffle:
        order = idx[np.argsort(-lens, kind="stable")]
        return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng = np.random.default_rng(seed)
    idx = rng.permutation(idx)
    pool = 50 * batch_size
    out: list[np.ndarray] = []
    for lo in range(0, len(idx), pool):
        chunk = idx[lo : lo + pool]
        chunk = chunk[np.argsort(-lens[chunk], kind="stable")]
        out.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    order = rng.permutation(len(out))
    return [out[i] for i in order]


@dataclass
class _Schedule:
    optimizer: Any
    scheduler: Any
    total_steps: int


def _schedule(params: Any, lr: float, weight_decay: float, warmup: float, steps: int) -> _Schedule:
    import torch
    from transformers import get_linear_schedule_with_warmup

    opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    sched = get_linear_schedule_with_warmup(opt, int(warmup * steps), max(steps, 1))  # type: ignore[no-untyped-call]
    return _Schedule(opt, sched, steps)


@dataclass
class LoopSpec:
    """What :func:`fit_epochs` trains: ``step(batch) -> loss`` on row indices, the trainable
    parameters, and ``validate() -> macro-F1`` (None: no validation rows)."""

    step: Callable[[np.ndarray], Any]
    parameters: list[Any]
    lengths: Sequence[int]
    validate: Callable[[], float | None]
    modules: list[Any] = field(default_factory=list)  # put in train() / eval() mode


def fit_epochs(
    spec: LoopSpec,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    weight_decay: float,
    warmup: float,
    seed: int,
    hooks: TrainingHooks,
    patience: int = 1,
    snapshot: Callable[[], S] | None = None,
) -> tuple[list[EpochRecord], S | None, int]:
    """Train for up to ``epochs`` (fewer when the hooks cap them, or when validation stops
    improving for ``patience`` epochs). Returns the epoch records, the best epoch's
    ``snapshot()`` (or the last state without validation) and that epoch's number."""
    import torch

    steps_per_epoch = math.ceil(len(spec.lengths) / batch_size)
    sched = _schedule(spec.parameters, lr, weight_decay, warmup, steps_per_epoch * epochs)
    records: list[EpochRecord] = []
    best: tuple[float, Any, int] | None = None
    planned = epochs
    for epoch in range(1, planned + 1):
        for m in spec.modules:
            m.train()
        start, losses, seen = time.perf_counter(), [], 0
        for n, rows in enumerate(
            batches(spec.lengths, batch_size, shuffle=True, seed=seed + epoch)
        ):
            loss = spec.step(rows)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(spec.parameters, 1.0)
            sched.optimizer.step()
            sched.scheduler.step()
            sched.optimizer.zero_grad(set_to_none=True)
            losses.append(float(loss.detach()))
            seen += len(rows)
            if epoch == 1 and n == 0:
                probe_start, probe_seen = time.perf_counter(), seen
            last = n + 1 == min(PROBE_BATCHES + 1, steps_per_epoch)
            if epoch == 1 and last:
                timed = seen - probe_seen if n else seen
                rate = (time.perf_counter() - (probe_start if n else start)) / max(timed, 1)
                allowed = hooks.probed(rate, len(spec.lengths))
                if allowed is not None:
                    planned = max(1, min(planned, allowed))
        for m in spec.modules:
            m.eval()
        with torch.inference_mode():
            score = spec.validate()
        rec = EpochRecord(epoch, float(np.mean(losses)), score, time.perf_counter() - start)
        records.append(rec)
        if score is not None and (best is None or score > best[0]):
            best = (score, snapshot() if snapshot else None, epoch)
        hooks.epoch_end(rec)
        if epoch >= planned:
            break
        if best is not None and score is not None and epoch - best[2] >= patience:
            break
    if best is None:
        return records, snapshot() if snapshot else None, len(records)
    return records, best[1], best[2]


def linear_head(weight: np.ndarray, bias: np.ndarray, classes: Sequence[str]) -> LogisticRegression:
    """A trained linear layer (``softmax(W x + b)``) as a fitted scikit-learn
    ``LogisticRegression`` with the same probabilities, so the deployed model is the same
    embedder + head pair as every other (skops-saved, exported, monitored alike)."""
    from sklearn.linear_model import LogisticRegression

    W = np.asarray(weight, dtype=np.float64)
    b = np.asarray(bias, dtype=np.float64)
    head = LogisticRegression()
    if len(classes) == 2:  # sklearn's binary form: sigmoid(z1 - z0) == softmax([z0, z1])[1]
        W, b = (W[1] - W[0])[None, :], np.array([b[1] - b[0]])
    head.coef_, head.intercept_ = W, b
    head.classes_ = np.asarray(list(classes), dtype=object)
    head.n_features_in_ = W.shape[1]
    head.n_iter_ = np.array([0], dtype=np.int32)
    return head
