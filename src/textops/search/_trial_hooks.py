"""A trained head's trial as its training loop sees it (:class:`TrialHooks`): how many epochs
fit the budget once the first batches are timed, each epoch reported to Optuna (pruning), and
what training the winner again (or deploying the trial's own model) will take."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from textops.model import EpochRecord
from textops.search._budget import Budget

if TYPE_CHECKING:
    from optuna import Trial

__all__ = ["EPOCH_STEP", "FOLD_MARGIN", "SAVE_SECONDS", "TRAINING_COST", "TrialHooks"]

#: Optuna step of epoch 1 (fold steps are 0 .. folds-1)
EPOCH_STEP = 1000
#: a training pass (forward + backward) of a text through an encoder costs at least this many
#: inference passes: with the embedder's measured encode rate, a trained head's first epoch
#: is estimated before its model loads (an estimate on the low side: it only rules out
#: trainings that clearly cannot fit)
TRAINING_COST = 3.0
#: the encode-rate estimate of an epoch, times this, is what choosing a CV fold count plans
#: for: TRAINING_COST errs low on purpose (it only rules out the hopeless), while a fold count
#: planned too high is found out only after the first fold's batches, and the trial pruned
FOLD_MARGIN = 3.0
#: seconds writing and registering a trained encoder takes besides the refit (a MiniLM folder,
#: its ONNX-free pyfunc model and the drift reference; the report's ``finalize_seconds``
#: shows the refit and this together)
SAVE_SECONDS = 3.0


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
    #: texts each epoch trains on, and texts finalising encodes with the trained encoder (the
    #: test split, the drift reference's sample): what finalising costs besides the refit
    train_texts: int = 0
    finalize_texts: int = 0
    #: the trial's own model can be deployed without a refit (:class:`KeptModel`): an epoch
    #: fits when it and that model's finalising do
    refit_optional: bool = False
    records: list[EpochRecord] = field(default_factory=list)

    def after_refit_seconds(self, epoch_s: float) -> float:
        """Finalising after the refit: encoding its texts with the new encoder (an inference
        pass per text, from an epoch's time) and saving it."""
        per_text = epoch_s / max(self.train_texts, 1) / TRAINING_COST
        return self.finalize_texts * per_text + SAVE_SECONDS

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
            after = self.after_refit_seconds(epoch_s)
            refit = 0.0 if self.refit_optional else (n + 1) * refit_epoch
            need = train + max(refit + after, self.reserve or 0)
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
        """What training the winner on the refit rows for ``epochs`` takes, and saving it: per
        epoch, the slower of the first batches' pace and the epochs this trial measured in
        full (a whole epoch runs slower than its first batches: longer texts, the optimiser's
        steps, scoring the validation split)."""
        epoch_s = self._epoch_seconds()
        return epochs * epoch_s * self.refit_ratio + self.after_refit_seconds(epoch_s)

    def deploy_seconds(self) -> float:
        """What deploying the trial's own model takes instead (:class:`KeptModel`)."""
        return self.after_refit_seconds(self._epoch_seconds())

    def _epoch_seconds(self) -> float:
        epoch_s = (self.seconds_per_sample or 0.0) * self.samples
        if self.records:
            epoch_s = max(epoch_s, float(np.median([r.seconds for r in self.records])))
        return epoch_s
