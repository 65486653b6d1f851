"""The search's time budget: one clock, one deadline, and the seconds kept for finalising.

Everything that asks "is there time?" asks this object: the encode plan (how much of the budget
encoding may take), the objective (may this trial start, may it run another fold, when must a
boosting or epoch loop stop), and the study's callback (may another trial start at all). The
clock is the wall clock (``time.time()``), which the worker processes of one search share.

Finalising the best trial so far (refit on train + validation, score test, save, register) must
fit too: the *reserve* is an estimate of its seconds, from that trial's own fold fit times.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textops.embed import EMBEDDERS
from textops.model import HEADS
from textops.search._ensemble import ensemble_members
from textops.search._floor import floor_trial

if TYPE_CHECKING:
    from optuna import Study, Trial
    from optuna.trial import FrozenTrial

__all__ = [
    "Budget",
    "OutOfTimeError",
    "ensemble_seconds",
    "finalize_estimate",
    "finalize_fixed_seconds",
]

#: share of the budget kept for trials after encoding
TRIAL_RESERVE = 0.3
#: seconds finalising takes besides refitting: scoring test, the drift reference, saving and
#: registering the model; a part every model pays, and a part per refit row (about 2 s on
#: TREC and SMS, about 1.5 s for a few dozen labelled rows; the search report gives the
#: measured ``finalize_seconds`` next to ``finalize_estimate_seconds``)
FINALIZE_FIXED_S = 1.5
FINALIZE_ROW_S = 1e-4


def finalize_fixed_seconds(n_refit: int) -> float:
    return FINALIZE_FIXED_S + FINALIZE_ROW_S * n_refit


#: loading a transformer model (for the saved model's signature example) in a process that has
#: not imported torch yet: a search on embeddings cached by an earlier one (bench/embed_cache.py
#: prints the load with the import)
MODEL_LOAD_S = 5.0
#: the same once torch is imported (this search encoded texts): the weights load in ~0.1 s
WARM_MODEL_LOAD_S = 0.5


class OutOfTimeError(Exception):
    """A fit stopped between two rounds because the trial's time ran out."""


def finalize_estimate(study: Study, n_train: int, n_refit: int) -> float | None:
    """Seconds finalising the best trial so far will take (None before any trial completed:
    there is no winner yet). The fixed part, a model load for a transformer embedder, and the
    refit scaled from the trial's mean fold fit (and by how much faster the CV's solver is
    than the deployed head's; a calibrated head fits 3 calibration folds and the deployed
    model) plus, for an embedder fitted on data, its fit on a fold."""
    from optuna.trial import TrialState

    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not done:
        return None
    single = len(study.directions) == 1
    best = [max(done, key=lambda t: t.values[0])] if single else list(study.best_trials)
    refit = max(_refit_seconds(t, n_train, n_refit) for t in best)
    lowest = floor_trial(study, best[0]) if single else None
    if lowest is not None:  # refitted and scored too (see _floor)
        refit += _refit_seconds(lowest, n_train, n_refit)
    return finalize_fixed_seconds(n_refit) + refit


#: the largest share of a budget kept back for judging and refitting an ensemble
ENSEMBLE_SHARE = 0.1


def ensemble_seconds(
    members: list[FrozenTrial], n_train: int, n_refit: int
) -> tuple[float, float, float]:
    """Seconds an ensemble of ``members`` takes to judge, to refit soft-voted, and what
    stacking adds to that refit (it fits every member again on each of its CV folds)."""
    if len(members) < 2:
        return 0.0, 0.0, 0.0
    folds = max(int(members[0].user_attrs.get("cv_folds", 5)), 2)

    def judge(t: FrozenTrial) -> float:
        # each member's folds again (the trials' fold features are gone by then, TF-IDF is
        # fitted per fold anew): its fits, or its whole trial's time when that was longer
        fits = float(t.user_attrs.get("fit_seconds", 0.0))
        fits += folds * float(t.user_attrs.get("embed_fit_seconds", 0.0))
        return max(fits, t.duration.total_seconds() if t.duration is not None else 0.0)

    refits = sum(_refit_seconds(t, n_train, n_refit) for t in members)
    return sum(judge(t) for t in members), refits, folds * refits


def _refit_seconds(t: FrozenTrial, n_train: int, n_refit: int) -> float:
    if "refit_seconds" in t.user_attrs:  # a trained head timed its own epochs (_trained_trial)
        return float(t.user_attrs["refit_seconds"]) + _model_load_seconds(True)
    ran = max(len(t.user_attrs.get("cv_scores", ())), 1)  # a trial scored on fewer: its total
    folds = max(int(t.user_attrs.get("cv_folds", ran)), 2)
    per_fold = float(t.user_attrs.get("fit_seconds", 0.0)) / ran
    scale = n_refit / max(n_train * (folds - 1) / folds, 1.0)
    fit = per_fold * scale
    key = str(t.user_attrs.get("head"))
    spec = HEADS.get(key)
    emb = EMBEDDERS[str(t.user_attrs.get("embedder"))].cls
    fast_cv = spec is not None and spec.cv_factory is not None
    used = spec is not None and (spec.cv_sparse if emb.sparse_output else spec.cv_dense)
    if spec is not None and fast_cv and used:
        fit *= spec.cv_speedup  # CV fitted with a faster solver than the deployed head's
    if spec is not None and spec.calibrate is not None:
        fit *= 3.0
    # an embedder fitted on data (TF-IDF) is refitted once: from its slowest fold's fit
    fit += float(t.user_attrs.get("embed_fit_seconds", 0.0)) * scale
    return fit + _model_load_seconds(emb.loads_model)


def _trained(head: object) -> bool:
    spec = HEADS.get(str(head))
    return spec is not None and spec.text_input


def _model_load_seconds(loads_model: bool) -> float:
    if not loads_model:
        return 0.0
    return WARM_MODEL_LOAD_S if "torch" in sys.modules else MODEL_LOAD_S


@dataclass(frozen=True)
class Budget:
    """``deadline``: wall-clock seconds (None: no time limit); ``n_train`` / ``n_refit``:
    the rows CV fits on and the rows the winner is refitted on (for the reserve)."""

    deadline: float | None
    started: float
    n_train: int = 0
    n_refit: int = 0
    #: whether finalising judges an ensemble too (the reserve keeps its soft-voted cost)
    ensemble: bool = False
    #: seconds encoding leaves alone, for a fine-tune the plan found time for (_trained_plan)
    held: float = 0.0

    @classmethod
    def start(
        cls, seconds: float | None, *, n_train: int = 0, n_refit: int = 0, ensemble: bool = False
    ) -> Budget:
        now = time.time()
        return cls(None if seconds is None else now + seconds, now, n_train, n_refit, ensemble)

    @property
    def limited(self) -> bool:
        return self.deadline is not None

    def left(self) -> float:
        """Seconds until the deadline (infinite without one; negative once past)."""
        return float("inf") if self.deadline is None else self.deadline - time.time()

    def encode_room(self) -> float:
        """Seconds encoding may still take: what is left, minus the share kept for trials
        and the time held for a planned fine-tune."""
        if self.deadline is None:
            return float("inf")
        return self.left() - TRIAL_RESERVE * (self.deadline - self.started) - self.held

    def reserve(self, study: Study) -> float | None:
        """Seconds to keep for finalising the best trial so far (None: no trial completed, so
        nothing to finalise yet, and nothing is held back)."""
        if self.deadline is None:
            return None
        estimate = finalize_estimate(study, self.n_train, self.n_refit)
        if estimate is not None and self.ensemble and len(study.directions) == 1:
            judge, refit, _ = ensemble_seconds(ensemble_members(study), self.n_train, self.n_refit)
            soft = judge + refit
            # kept back only while it is a small share of the budget: on a small one the
            # trials it would take are worth more (finalising judges it if time is left)
            if soft <= ENSEMBLE_SHARE * (self.deadline - self.started):
                estimate += soft
        return estimate

    def stop_at(self, reserve: float | None) -> float | None:
        """When a fit that trains in rounds must stop (None: never)."""
        if self.deadline is None or reserve is None:
            return None
        return self.deadline - reserve

    def fits(self, seconds: float, reserve: float | None) -> bool:
        """Whether ``seconds`` more of work leave ``reserve`` seconds before the deadline
        (always, without a deadline or before any trial completed)."""
        if self.deadline is None or reserve is None:
            return True
        return time.time() + seconds + reserve <= self.deadline

    def stop_callback(self) -> Callable[[Study, FrozenTrial], None]:
        """An Optuna callback: no trial starts when the time left cannot hold a typical trial
        plus finalising the winner so far. A trained head's trial is not typical: it takes
        many times a linear head's, and checks its own time before it loads a model and after
        its first batches, so it does not stop the trials of the other heads."""

        def callback(study: Study, trial: FrozenTrial) -> None:
            if self.deadline is None:
                return
            durations = [
                (t.datetime_complete - t.datetime_start).total_seconds()
                for t in study.get_trials(deepcopy=False)
                if t.datetime_complete is not None
                and t.datetime_start is not None
                and not _trained(t.user_attrs.get("head"))
            ]
            typical = statistics.median(durations) if durations else 0.0
            if not self.fits(typical, self.reserve(study)):
                study.stop()

        return callback

    def check_clock(self, stop_at: float | None, *_: object) -> None:
        """Between a head's rounds (a LightGBM callback, an MLP epoch): out of time?"""
        if stop_at is not None and time.time() > stop_at:
            raise OutOfTimeError

    def prune_if_late(self, trial: Trial, needed: float, reserve: float | None, why: str) -> None:
        """Stop ``trial`` (pruned, saying why) when ``needed`` more seconds do not fit."""
        import optuna

        if not self.fits(needed, reserve):
            reason = f"{why} needs ~{needed:.1f}s more; the budget has less left"
            trial.set_user_attr("stopped", "budget")
            trial.set_user_attr("stopped_reason", reason)
            raise optuna.TrialPruned(reason)
