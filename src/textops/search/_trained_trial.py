"""A trial of a head that trains on texts (``finetune``, ``setfit``, ``bilstm``): trained on the
train split, scored on the validation split after every epoch, inside the search's budget.

* **Budget.** After the first batches the loop reports its speed (:class:`TrialHooks.probed`):
  the epochs are capped to what fits with the winner's refit (train + validation, as many
  epochs) and its saving; when not even one epoch fits, the trial is pruned before spending
  more, saying so. A kind whose fastest measured epoch no longer fits is pruned at once,
  without loading a model.
* **Pruning.** Each epoch's validation macro-F1 is reported to Optuna at step
  ``EPOCH_STEP + epoch``, apart from the fold steps of the other heads: the median rule
  compares fine-tunes with fine-tunes, epoch by epoch.
* A trial's model is never deployed: its networks are released when it ends, and the winner
  is trained again on train + validation for the epochs that won (``_finalize``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textops.model import EpochRecord, build_head
from textops.search._budget import Budget

if TYPE_CHECKING:
    from optuna import Trial

__all__ = ["EPOCH_STEP", "SAVE_SECONDS", "TrainedOutcome", "TrialHooks", "run_trained_trial"]

#: Optuna step of epoch 1 (fold steps are 0 .. folds-1)
EPOCH_STEP = 1000
#: seconds writing and registering a trained encoder takes besides the refit (a MiniLM folder,
#: its ONNX-free pyfunc model and the drift reference)
SAVE_SECONDS = 8.0


@dataclass
class TrialHooks:
    """The trial's side of the training loop (:class:`~textops.model.TrainingHooks`)."""

    trial: Trial | None
    budget: Budget
    reserve: float | None
    refit_ratio: float  # rows of the refit / rows trained on
    kind: str
    report: bool = True
    #: trainings this trial still runs, this one included (CV folds in the few-labels mode)
    trainings: int = 1
    seconds_per_sample: float | None = None
    allowed: int | None = None
    samples: int = 0
    records: list[EpochRecord] = field(default_factory=list)

    def epochs_that_fit(self, epoch_s: float) -> int:
        """Epochs whose training, and then the winner's refit for as many epochs and its save
        (or the current winner's finalising, whichever is longer), end before the deadline."""
        if not self.budget.limited:
            return 1_000_000
        left = self.budget.left()
        refit_epoch = epoch_s * self.refit_ratio
        n = 0
        while n < 1000:
            train = self.trainings * (n + 1) * epoch_s
            need = train + max((n + 1) * refit_epoch + SAVE_SECONDS, self.reserve or 0)
            if need > left:
                break
            n += 1
        return n

    def probed(self, seconds_per_sample: float, samples_per_epoch: int) -> int | None:
        import optuna

        self.seconds_per_sample, self.samples = seconds_per_sample, samples_per_epoch
        allowed = self.allowed = self.epochs_that_fit(seconds_per_sample * samples_per_epoch)
        if allowed < 1:
            why = (
                f"{self.kind}: one epoch of {samples_per_epoch} texts takes "
                f"~{seconds_per_sample * samples_per_epoch:.0f}s, and with its refit it does "
                f"not fit the {max(self.budget.left(), 0):.0f}s left"
            )
            if self.trial is not None:
                self.trial.set_user_attr("stopped", "budget")
                self.trial.set_user_attr("stopped_reason", why)
            raise optuna.TrialPruned(why)
        return allowed

    def epoch_end(self, record: EpochRecord) -> None:
        import optuna

        self.records.append(record)
        if self.trial is None or not self.report or record.val_macro_f1 is None:
            return
        self.trial.report(record.val_macro_f1, EPOCH_STEP + record.epoch)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"{self.kind} pruned after epoch {record.epoch}")

    def refit_seconds(self, epochs: int) -> float:
        """What training the winner on the refit rows for ``epochs`` takes, and saving it."""
        per_sample = self.seconds_per_sample or 0.0
        return epochs * per_sample * self.samples * self.refit_ratio + SAVE_SECONDS


@dataclass(frozen=True)
class TrainedOutcome:
    macro_f1: float
    epochs: int
    fit_seconds: float
    refit_seconds: float
    history: list[EpochRecord]


def run_trained_trial(
    head: str,
    params: dict[str, Any],
    *,
    train: tuple[list[str], list[str]],
    validation: tuple[list[str], list[str]] | None,
    hooks: TrialHooks,
    seed: int,
    runtime: dict[str, Any],
    fixed_epochs: bool = False,
) -> TrainedOutcome:
    """Train ``head`` once, score it on ``validation``; the networks are released after.
    ``fixed_epochs``: no early stopping, the score is the last epoch's (a CV fold, whose
    held-out rows must not also choose the epoch)."""
    est = build_head(head, params, seed=seed)
    est.set_params(**runtime)
    if fixed_epochs and "patience" in est.get_params():
        est.set_params(patience=1_000_000)
    start = time.perf_counter()
    try:
        est.fit(train[0], train[1], validation=validation, hooks=hooks)
        history = list(est.history_)
        scores = [r.val_macro_f1 for r in history if r.val_macro_f1 is not None]
        if fixed_epochs:
            epochs, score = len(history), (scores[-1] if scores else 0.0)
        else:
            epochs, score = int(est.epochs_), (max(scores) if scores else 0.0)
    finally:
        est.release()
    return TrainedOutcome(
        macro_f1=float(score),
        epochs=epochs,
        fit_seconds=time.perf_counter() - start,
        refit_seconds=hooks.refit_seconds(epochs),
        history=history,
    )
