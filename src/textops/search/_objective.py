"""The Optuna objective: macro-F1 by stratified k-fold CV on the train split (and latency)."""

from __future__ import annotations

import functools
import logging
import os
import socket
import time
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from textops._cpus import free_cpus
from textops._types import Params
from textops.embed import EMBEDDERS, EmbeddingCache
from textops.model import (
    HEADS,
    NORMALIZATIONS,
    build_head,
    int_param,
    macro_f1,
    standardizes,
)
from textops.search._budget import Budget, OutOfTimeError
from textops.search._data import SearchData
from textops.search._fitting import WarmStarts, fit_early_stopped
from textops.search._folds import FoldData
from textops.search._pairing import compatible_heads, searches_normalization
from textops.search._recipes import Recipe, recipe_params, sample_recipe
from textops.search._scores import FoldResult, TrialRecord, brier_score
from textops.search._trained_trial import TrainedTrials
from textops.track import BackgroundRuns, FinishedRun, Tracker

if TYPE_CHECKING:
    from optuna import Trial
    from optuna.trial import FrozenTrial

log = logging.getLogger("textops.search")


NO_RECIPE = Recipe()

__all__ = ["Objective"]


class Objective:
    """Callable for ``study.optimize``: sample an embedder, a head and its parameters, score
    them by stratified k-fold CV (pruned after any fold), record the trial. Embeddings come
    from the cache, once per process; time comes from the search's :class:`Budget`."""

    def __init__(
        self,
        *,
        data: SearchData,
        embedders: list[str],
        heads: list[str],
        latency_ms: dict[str, float | None],
        folds: int,
        seed: int,
        multi: bool,
        cache: EmbeddingCache,
        budget: Budget,
        tracker: Tracker | None = None,
        parent_run_id: str | None = None,
        runs: BackgroundRuns | None = None,
        head_options: Params | None = None,
        device: str = "auto",
        repeats: int = 1,
        subsets: dict[str, list[int]] | None = None,
        rates: dict[str, float] | None = None,
        tie_break: bool = False,
        recipes: Sequence[str] = ("none",),
        synthetic: tuple[list[str], list[str]] | None = None,
        keep_trained: bool = False,
        ruled_out: dict[tuple[str, str], str] | None = None,
        trained_runs: bool = True,
    ) -> None:
        #: data recipes searched (``none`` always among them when given alone)
        self.recipes = tuple(recipes)
        self.data = FoldData(
            texts=data.train.texts,
            labels=data.train.labels,
            keys=data.train.keys,
            folds=folds,
            seed=seed,
            cache=cache,
            validation=(data.validation.texts, data.validation.keys, data.validation.labels),
            repeats=repeats,
            subsets=subsets,
            synthetic=synthetic,
        )
        self.heads = {e: compatible_heads(e, heads) for e in embedders}
        self.embedders = [e for e in embedders if self.heads[e]]
        self.latency_ms = latency_ms
        self.seed = seed
        self.multi = multi
        self.budget = budget
        self.tracker = tracker
        self.parent = parent_run_id
        #: where trials hand their MLflow runs (a writer thread; the parent run's children)
        self._runs = runs
        self._warm = WarmStarts()
        #: seconds per fold of every (embedder, head) run so far, pruned trials' folds too
        self._fold_seconds: dict[tuple[str, str], list[float]] = {}
        #: few labels: many trials tie on CV macro-F1, the held-out Brier score decides
        self.tie_break = tie_break
        self.trained = TrainedTrials(
            data,
            self.data,
            budget=budget,
            seed=seed,
            head_options=dict(head_options or {}),
            # a fine-tune's torch threads: the cores free when the search starts
            runtime={"device": device, "threads": free_cpus()},
            report=not multi,
            rates=rates or {},
            brier=tie_break,
            keep=keep_trained,
        )
        #: kinds the plan ruled out (a fine-tune that does not fit; frozen heads on an embedder
        #: kept for its fine-tune only): their draws are skipped before anything loads
        self.ruled_out = dict(ruled_out or {})
        #: whether a trained kind may run (then trials run one at a time)
        self.trained_runs = trained_runs

    # -- one fold ------------------------------------------------------------------------------
    def _fold(
        self,
        ek: str,
        hk: str,
        params: Params,
        scale: bool,
        fold: int,
        stop_at: float | None,
        recipe: Recipe = NO_RECIPE,
    ) -> FoldResult:
        """Fit on one fold's train part and score macro-F1 on its held-out part. A head that
        trains in rounds (boosting, epochs) is stopped at ``stop_at`` (wall clock) with
        :class:`OutOfTimeError`: one fold of a large LightGBM can outlast a whole small budget."""
        data = self.data
        tr, va = data.splits(ek)[fold]
        standard = standardizes(hk, params, scale)
        Xtr, Xva = data.arrays(ek, fold, standard)
        ytr = data.y[tr]
        dense = isinstance(Xtr, np.ndarray)
        if recipe.adds_rows:  # the fold's own rows' variants (or LLM rows), training part only
            Xx, yx = data.extra(ek, recipe, fold, standard)
            Xtr, ytr = np.vstack([Xtr, Xx]), np.concatenate([ytr, yx])
        # the fold's arrays are standardised already
        est = build_head(hk, params, scale=scale, seed=self.seed, probability=False,
                         prescaled=dense, cv_inputs="dense" if dense else "sparse")  # fmt: skip
        search = HEADS[hk]
        # features fitted per fold (TF-IDF) differ between folds: warm starts stay in the fold
        shared = data.features(ek) is not None
        # (warm starts and kept products belong to the fold's own arrays: not with extra rows)
        warm = None
        if not recipe.adds_rows:
            warm = self._warm.start(
                est, ek, hk, fold, params, search.warm_start, across_folds=shared
            )
        clock = functools.partial(self.budget.check_clock, stop_at)
        fit_kw: dict[str, object] = {}
        if search.fold_products and dense and not recipe.adds_rows:
            fit_kw["products"] = data.products(ek, fold, standard)
        elif search.round_callbacks and stop_at is not None:
            fit_kw["callbacks"] = [clock]
        epochs = None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            # (a budget-sampled embedder has no validation rows encoded: sklearn's own stopping)
            sampled = ek in data.subsets
            if search.early_stopping and dense and data.validation is not None and not sampled:
                val_X = data.validation_arrays(ek, fold, standard)
                epochs = fit_early_stopped(
                    est, Xtr, ytr, val_X, data.validation[2], macro_f1, each_epoch=clock
                )
            else:
                est.fit(Xtr, ytr, **fit_kw)
            t1 = time.perf_counter()
            pred = est.predict(Xva)
            t2 = time.perf_counter()
            brier = None
            if self.tie_break and hasattr(est, "predict_proba"):
                brier = brier_score(data.y[va], est.predict_proba(Xva), est.classes_)
        if warm is not None:
            self._warm.keep(est, warm, search.warm_start)
        score = macro_f1(data.y[va], np.asarray(pred))
        return FoldResult(score, t1 - t0, t2 - t1, len(va), epochs, brier)

    def _seconds_needed(self, kind: tuple[str, str], started: float, done: int) -> float:
        """Seconds the rest of a trial takes: before it starts, from the seconds per fold its
        embedder + head took before (a kind not run yet is taken to be as slow as the slowest
        kind so far: a fold cannot be interrupted, and a first LightGBM fold on TF-IDF can take
        longer than the rest of a small budget); after each fold, from its own pace."""
        folds = len(self.data.splits(kind[0]))
        if done:
            return (time.time() - started) / done * (folds - done)
        past = self._fold_seconds.get(kind)
        slowest = max((float(np.median(v)) for v in self._fold_seconds.values()), default=0.0)
        return (float(np.median(past)) if past else slowest) * folds

    def _kinds(self) -> set[tuple[str, str]]:
        return {(e, h) for e in self.embedders for h in self.heads[e]}

    # -- one trial -----------------------------------------------------------------------------
    def _sample(self, trial: Trial) -> tuple[str, str, Params]:
        ek = trial.suggest_categorical("embedder", self.embedders)
        hk = trial.suggest_categorical(f"head.{ek}", self.heads[ek])
        params = HEADS[hk].space(trial)
        params.update(self.trained.fixed_params(ek, hk, params))
        rows = min(len(tr) for tr, _ in self.data.splits(ek))
        for name in HEADS[hk].at_most_rows:
            params[name] = min(int_param(params, name, rows), rows)
        if searches_normalization(ek, hk):  # standardising helps some heads and hurts others
            params["normalize"] = trial.suggest_categorical("normalize", list(NORMALIZATIONS))
        for name, value in (("embedder", ek), ("head", hk), ("params", params)):
            trial.set_user_attr(name, value)
        recipe = sample_recipe(trial, self.recipes, ek, hk)
        if recipe is not None:
            trial.set_user_attr("recipe", recipe.as_json())
        return str(ek), str(hk), params

    def _run_folds(self, trial: Trial, ek: str, hk: str, params: Params, rec: TrialRecord) -> None:
        """Every fold in turn, pruned (by the median rule, or the budget) after any of them."""
        import optuna

        budget = self.budget
        recipe = Recipe.of(trial.user_attrs.get("recipe"))
        scale = EMBEDDERS[ek].cls.needs_scaling
        folds = len(self.data.splits(ek))
        started = time.time()
        kind = f"{ek} + {hk}"
        # the best trial so far only changes between trials: estimate its finalising once
        # (None: no trial completed yet, no winner to keep time for)
        reserve = budget.reserve(trial.study)
        budget.prune_if_late(trial, self._seconds_needed((ek, hk), started, 0), reserve, kind)
        for fold in range(folds):
            fold_started = time.time()
            try:
                done = self._fold(ek, hk, params, scale, fold, budget.stop_at(reserve), recipe)
            except OutOfTimeError:
                trial.set_user_attr("stopped", "budget")
                raise optuna.TrialPruned(
                    f"{kind} stopped in fold {fold + 1}: the budget ran out"
                ) from None
            self._fold_seconds.setdefault((ek, hk), []).append(time.time() - fold_started)
            rec.add(done)
            if not self.multi:
                trial.report(rec.macro_f1, fold)
                # a trial that ran every fold completes: its CV score is known in full
                if fold < folds - 1 and trial.should_prune():
                    raise optuna.TrialPruned(f"pruned after fold {fold + 1}")
            if reserve is None:
                # started before any trial completed: once one has, this one must leave time
                # to finalise that winner (or itself) too
                reserve = budget.reserve(trial.study)
            needed = self._seconds_needed((ek, hk), started, fold + 1)
            if fold < folds - 1 and not budget.fits(needed, reserve) and self._leads(trial, rec):
                # the rest would not fit, but on the folds it ran it beats every complete
                # trial: scored on those, not traded for many cheap trials of a weaker kind
                trial.set_user_attr("cv_folds_run", fold + 1)
                trial.set_user_attr("cv_folds", folds)
                trial.set_user_attr("stopped_reason", f"{kind} led on {fold + 1} of {folds} folds "
                                    f"({rec.macro_f1:.4f}) when the rest would not fit: scored "
                                    "on those folds")  # fmt: skip
                log.warning("trial %s: %s", trial.number, trial.user_attrs["stopped_reason"])
                return
            budget.prune_if_late(trial, needed, reserve, kind)

    def _leads(self, trial: Trial, rec: TrialRecord) -> bool:
        """Whether ``trial`` beats every complete trial on the folds it ran: compared with
        their scores on those same folds where they were recorded (a fold easier than the
        others must not make a partial score look like a lead), else with their CV score."""
        import optuna

        if self.multi:
            return False
        done = trial.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        ran = len(rec.scores)

        def same_folds(t: FrozenTrial) -> float:
            scores = t.user_attrs.get("cv_scores") or []
            return float(np.mean(scores[:ran])) if len(scores) >= ran else float(t.values[0])

        return all(rec.macro_f1 > same_folds(t) for t in done if t.values)

    def __call__(self, trial: Trial) -> float | tuple[float, float]:
        import optuna

        trial.set_user_attr("host", socket.gethostname())
        trial.set_user_attr("pid", os.getpid())
        ek, hk, params = self._sample(trial)
        rec = TrialRecord()
        start_ms = int(time.time() * 1000)
        status = "FINISHED"
        try:
            if (ek, hk) in self.ruled_out:
                trial.set_user_attr("stopped", "ruled_out")
                trial.set_user_attr("stopped_reason", self.ruled_out[ek, hk])
                raise optuna.TrialPruned(self.ruled_out[ek, hk])
            if HEADS[hk].text_input:
                self.trained.run(trial, ek, hk, params, rec)
            else:
                self._run_folds(trial, ek, hk, params, rec)
        except optuna.TrialPruned:
            status = "KILLED"
            if HEADS[hk].text_input and self._kinds() <= self.trained.spent.keys():
                # every kind is a training that can no longer fit: end the study here rather
                # than let the sampler draw and prune them until the timeout
                trial.study.stop()
            raise
        except Exception:
            status = "FAILED"
            raise
        finally:
            latency = self._record(trial, ek, hk, params, rec, status, start_ms)
        if self.multi:
            assert latency is not None, "the f1-latency objective measures every embedder"
            return rec.macro_f1, latency
        return rec.macro_f1

    def _record(
        self,
        trial: Trial,
        ek: str,
        hk: str,
        params: Params,
        rec: TrialRecord,
        status: str,
        start_ms: int,
    ) -> float | None:
        """The trial's attributes (what finalising and the budget read back) and its MLflow
        run (written by the background writer); returns its latency per text."""
        encode_ms = self.latency_ms.get(ek)  # None: not measured (cached, f1 objective)
        latency = None if encode_ms is None else encode_ms + rec.head_ms
        trial.set_user_attr("cv_scores", rec.scores)
        trial.set_user_attr("latency_ms", latency)
        if rec.brier is not None:
            trial.set_user_attr("cv_brier", rec.brier)
        trial.set_user_attr("fit_seconds", rec.fit_s)
        if ek in self.data.fit_seconds:  # TF-IDF: what refitting the embedder will take
            trial.set_user_attr("embed_fit_seconds", self.data.fit_seconds[ek])
        if rec.epochs:  # what the deployed head trains for (it has no data left to watch)
            trial.set_user_attr("epochs", int(np.median(rec.epochs)))
        if rec.refit_s is not None:  # a trained head: its refit, timed from its own epochs
            trial.set_user_attr("refit_seconds", rec.refit_s)
        if self.tracker is None:
            return latency
        metrics = {
            "cv_macro_f1": rec.macro_f1,
            "fit_seconds": rec.fit_s,
            "predict_seconds": rec.predict_s,
            "head_latency_ms": rec.head_ms,
            "folds_run": float(len(rec.scores)),
        }
        if rec.epochs:
            metrics["epochs"] = float(np.median(rec.epochs))
        if latency is not None:
            metrics["latency_ms"] = latency
        run = FinishedRun(
            name=f"trial-{trial.number}",
            parent_id=self.parent,
            tags={"textops.trial": str(trial.number)},
            params={
                "embedder": ek,
                "head": hk,
                **params,
                **recipe_params(trial.user_attrs.get("recipe")),
            },
            metrics=metrics,
            history={
                "train_loss": [r.train_loss for r in rec.history],
                "val_macro_f1": [r.val_macro_f1 or 0.0 for r in rec.history],
                "epoch_seconds": [r.seconds for r in rec.history],
            }
            if rec.history
            else {},
            status=status,
            start_ms=start_ms,
            end_ms=int(time.time() * 1000),
        )
        if self._runs is not None:
            self._runs.put(run)
        else:
            self.tracker.log_run(run)
        return latency
