"""A trial of a head that trains on texts (``finetune``, ``setfit``, ``bilstm``): trained on the
train split, scored on the validation split after every epoch, inside the search's budget.

* **Budget.** After the first batches the loop reports its speed (``TrialHooks.probed``):
  the epochs are capped to what fits with the winner's refit (train + validation, as many
  epochs; or, when the trial's own model can be deployed, without it) and its saving; when
  not even one epoch fits, the trial is pruned before spending more, saying so. A kind whose
  fastest measured epoch no longer fits is pruned at once, without loading a model.
* **Pruning.** Each epoch's validation macro-F1 is reported to Optuna at step
  ``EPOCH_STEP + epoch``, apart from the fold steps of the other heads: the median rule
  compares fine-tunes with fine-tunes, epoch by epoch.
* A trial's networks are released when it ends, and the winner is trained again on train +
  validation for the epochs that won (``_finalize``); in one process with a time budget, the
  best trial's model is exported first (:class:`KeptModel`), and deployed instead when that
  refit would not fit the time left.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from textops._types import Params
from textops.embed import EMBEDDERS
from textops.model import (
    HEADS,
    REFERENCE_VECTORS,
    EpochRecord,
    Exported,
    build_head,
    head_parameters,
    int_param,
)
from textops.search._budget import Budget
from textops.search._data import SearchData
from textops.search._folds import FoldData
from textops.search._scores import TrialRecord, brier_score
from textops.search._trial_hooks import FOLD_MARGIN, TRAINING_COST, TrialHooks

if TYPE_CHECKING:
    from optuna import Trial

__all__ = ["KeptModel", "TrainedOutcome", "TrainedTrials", "run_trained_trial"]

Texts = tuple[list[str], list[str]]


@dataclass(frozen=True)
class TrainedOutcome:
    macro_f1: float
    epochs: int
    fit_seconds: float
    refit_seconds: float
    history: list[EpochRecord]
    brier: float | None = None
    #: the trained model, kept (``export_above``)
    exported: Exported | None = None


@dataclass(frozen=True)
class KeptModel:
    """The best trained trial's own model (trained on the train split, its best epoch's
    weights): finalising deploys it when a refit on train + validation does not fit the time
    left, instead of training the winner a second time."""

    trial: int
    macro_f1: float
    exported: Exported
    #: what the refit would take (seconds), from the trial's own epochs
    refit_seconds: float
    #: what deploying this model takes instead: encoding the test split and the reference
    deploy_seconds: float


def run_trained_trial(
    head: str,
    params: Params,
    *,
    train: tuple[list[str], list[str]],
    validation: tuple[list[str], list[str]] | None,
    hooks: TrialHooks,
    seed: int,
    runtime: Params,
    fixed_epochs: bool = False,
    brier: bool = False,
    export_above: float | None = None,
) -> TrainedOutcome:
    """Train ``head`` once, score it on ``validation``; the networks are released after.
    ``fixed_epochs``: no early stopping, the score is the last epoch's (a CV fold, whose
    held-out rows must not also choose the epoch). ``export_above``: a model scoring above
    it is exported (kept) before the networks go."""
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
        held_out = None
        if brier and validation is not None and len(validation[0]):
            proba = est.predict_proba(validation[0])
            held_out = brier_score(np.asarray(validation[1], dtype=object), proba, est.classes_)
        fit_seconds = time.perf_counter() - start
        exported = est.export() if export_above is not None and score > export_above else None
    finally:
        est.release()
    return TrainedOutcome(
        macro_f1=float(score),
        epochs=epochs,
        fit_seconds=fit_seconds,
        refit_seconds=hooks.refit_seconds(epochs),
        history=history,
        brier=held_out,
        exported=exported,
    )


class TrainedTrials:
    """The search's trials of trained heads: what they train on (the train split, or in the
    few-labels mode one round of CV folds, as many as the budget holds), the options they are
    given, and the fastest epoch each kind (embedder, head) measured, so that a kind that
    cannot fit is not loaded."""

    def __init__(
        self,
        data: SearchData,
        folds: FoldData,
        *,
        budget: Budget,
        seed: int,
        head_options: Params,
        runtime: Params,
        report: bool,
        rates: dict[str, float] | None = None,
        brier: bool = False,
        keep: bool = False,
    ) -> None:
        val = data.validation
        self.texts: Texts = (data.train.texts, data.train.labels)
        self.val_texts: Texts | None = (val.texts, val.labels) if len(val) else None
        self.refit_ratio = len(data.refit) / max(len(data.train), 1)
        #: what finalising a trained winner encodes with its new encoder
        self.finalize_texts = len(data.test) + min(len(data.refit), REFERENCE_VECTORS)
        self.folds = folds
        self.budget = budget
        self.seed = seed
        self.head_options = head_options
        self.runtime = runtime
        self.report = report  # single-objective searches prune epoch by epoch
        self.rates = rates or {}
        self.brier = brier
        #: keep the best trained trial's own model (one process, a time budget, a
        #: validation split: see :class:`KeptModel`)
        self.keep = keep and budget.limited and self.val_texts is not None
        self.kept: KeptModel | None = None
        #: per kind, the fastest epoch any of its trials measured, per text trained on
        #: (seconds): folds of another size are estimated from it
        self._per_text: dict[tuple[str, str], float] = {}
        #: kinds whose fastest measured epoch no longer fits: time only runs out, so they
        #: never will again in this search
        #: kinds ruled out for the rest of the search (their epoch cannot fit the budget left,
        #: which only shrinks), with why: later draws of them are skipped before anything
        #: loads
        self.spent: dict[tuple[str, str], str] = {}

    def _kept_score(self) -> float:
        return -1.0 if self.kept is None else self.kept.macro_f1

    def fixed_params(self, ek: str, hk: str, params: Params) -> Params:
        """``--head-options`` a head takes; a trained head's encoder (the embedder's model,
        unless ``model`` names another folder)."""
        out = {k: v for k, v in self.head_options.items() if k in params}
        if HEADS[hk].text_input:
            names = head_parameters(hk)
            out.update({k: v for k, v in self.head_options.items() if k in names})
            out.setdefault("model", EMBEDDERS[ek].params["model"])
        return out

    def _first_estimate(self, ek: str, hk: str, params: Params, n_texts: int) -> float | None:
        """Seconds of one epoch on ``n_texts`` before any trial of the kind ran, from the
        encode rate."""
        rate = self.rates.get(ek)
        if not rate:
            return None
        est = build_head(hk, params, seed=self.seed)
        return TRAINING_COST * float(est.encoder_passes(n_texts)) / rate

    def _hooks(
        self, trial: Trial, kind: str, ratio: float, train_texts: int, **kw: Any
    ) -> TrialHooks:
        reserve = self.budget.reserve(trial.study)
        return TrialHooks(
            trial, self.budget, reserve, ratio, kind, train_texts=train_texts,
            finalize_texts=self.finalize_texts, **kw,
        )  # fmt: skip

    def _fold_count(self, trial: Trial, per_text: float | None, epochs: int, measured: bool) -> int:
        """Few labels: the most CV folds (of the search's, down to 2) whose trainings, for
        ``epochs``, and the refit fit the time left; without an estimate, all of them. An
        estimate from the encode rate alone is taken ``FOLD_MARGIN`` times: too many folds
        would only be found out after the first one's batches, and pruned. Fewer folds train
        on fewer rows, so the CV estimate errs low, never for the trained head."""
        top = self.folds.folds
        if per_text is None or not self.budget.limited:
            return top
        per_text *= 1.0 if measured else FOLD_MARGIN
        n = len(self.texts[0])
        reserve = self.budget.reserve(trial.study)  # reads the study: once, not per count
        for k in range(top, 2, -1):
            hooks = TrialHooks(
                trial, self.budget, reserve, k / (k - 1), "", trainings=k,
                train_texts=n * (k - 1) // k, finalize_texts=self.finalize_texts,
            )  # fmt: skip
            if hooks.epochs_that_fit(per_text * n * (k - 1) / k) >= epochs:
                return k
        return 2

    def _runs(self, folds: int) -> list[tuple[Texts, Texts, float]]:
        """(train, scored on, refit rows / train rows) of each training a trial runs."""
        if self.val_texts is not None:
            return [(self.texts, self.val_texts, self.refit_ratio)]
        texts, labels = self.texts  # few labels, all pooled: ``folds`` stratified folds
        splits = (
            self.folds.splits()[:folds]
            if folds == self.folds.folds
            else self.folds.fold_splits(folds)
        )
        return [
            (
                ([texts[i] for i in tr], [labels[i] for i in tr]),
                ([texts[i] for i in va], [labels[i] for i in va]),
                len(texts) / max(len(tr), 1),
            )
            for tr, va in splits
        ]

    def run(self, trial: Trial, ek: str, hk: str, params: Params, rec: TrialRecord) -> None:
        """Train and score, recording into ``rec`` (a pruned trial's epochs too)."""
        import optuna

        kind = f"{ek} + {hk}"
        if (ek, hk) in self.spent:
            trial.set_user_attr("stopped", "ruled_out")
            trial.set_user_attr("stopped_reason", self.spent[ek, hk])
            raise optuna.TrialPruned(f"{kind} was ruled out earlier: {self.spent[ek, hk]}")
        n = len(self.texts[0])
        per_text = self._per_text.get((ek, hk))
        measured = per_text is not None
        if per_text is None:
            first = self._first_estimate(ek, hk, params, n)
            per_text = None if first is None else first / max(n, 1)
        why = "its fastest epoch so far" if measured else "an epoch estimated from its encode rate"
        folds = self._fold_count(trial, per_text, int_param(params, "epochs", 1), measured)
        runs = self._runs(folds)
        if self.val_texts is None:
            trial.set_user_attr("cv_folds", len(runs))
        floor = None if per_text is None else per_text * len(runs[0][0][0])
        hooks = self._hooks(trial, kind, self.refit_ratio, len(runs[0][0][0]), trainings=len(runs),
                            refit_optional=self.keep)  # fmt: skip
        if floor is not None and hooks.epochs_that_fit(floor) < 1:
            reason = f"{kind}: {why} (~{floor:.0f}s) does not fit the time left"
            self.spent[ek, hk] = reason  # the time left only shrinks: not again this search
            trial.set_user_attr("stopped", "budget")
            trial.set_user_attr("stopped_reason", reason)
            raise optuna.TrialPruned(reason)
        for n, (train, val, ratio) in enumerate(runs):
            report = self.report and n == 0
            hooks = self._hooks(
                trial, kind, ratio, len(train[0]), report=report, trainings=len(runs) - n,
                refit_optional=self.keep,
            )  # fmt: skip
            try:
                out = run_trained_trial(
                    hk,
                    params,
                    train=train,
                    validation=val,
                    hooks=hooks,
                    seed=self.seed,
                    runtime=self.runtime,
                    fixed_epochs=len(runs) > 1,
                    brier=self.brier,
                    export_above=self._kept_score() if self.keep else None,
                )
            except optuna.TrialPruned:
                rec.history = rec.history or hooks.records
                if not hooks.records and hooks.allowed == 0:  # one epoch cannot fit any more
                    self.spent[ek, hk] = str(trial.user_attrs.get("stopped_reason", kind))
                raise
            finally:
                if hooks.seconds_per_sample is not None:
                    text_s = hooks.seconds_per_sample * hooks.samples / max(len(train[0]), 1)
                    self._per_text[ek, hk] = min(self._per_text.get((ek, hk), text_s), text_s)
            if hooks.allowed is not None and "epochs" in params:  # the other folds: as many
                params = {**params, "epochs": min(int_param(params, "epochs", 1), hooks.allowed)}
            rec.scores.append(out.macro_f1)
            rec.epochs.append(out.epochs)
            rec.fit_s += out.fit_seconds
            rec.history = rec.history or out.history
            rec.refit_s = out.refit_seconds
            if out.exported is not None:
                self.kept = KeptModel(trial.number, out.macro_f1, out.exported,
                                      out.refit_seconds, hooks.deploy_seconds())  # fmt: skip
                # the budget keeps what finalising it needs, whether or not a refit fits
                rec.refit_s = min(out.refit_seconds, self.kept.deploy_seconds)
            if out.brier is not None:
                rec.briers.append(out.brier)
