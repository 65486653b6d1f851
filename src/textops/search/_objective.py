"""The Optuna objective: macro-F1 by stratified k-fold CV on the train split (and latency)."""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from textops.embed import make_embedder
from textops.search._early import fit_early_stopped
from textops.search._folds import FoldData
from textops.search._heads import HEADS, NORMALIZATIONS, build_head, standardizes
from textops.search._warm import WarmStarts
from textops.track import BackgroundRuns, FinishedRun, Tracker

__all__ = [
    "Objective",
    "available_cpus",
    "compatible_heads",
    "macro_f1",
    "searches_normalization",
]


class _FoldResult(NamedTuple):
    macro_f1: float
    fit_seconds: float
    predict_seconds: float
    predicted: int  # texts
    epochs: int | None  # trained, for heads stopped on the validation split


class OutOfTimeError(Exception):
    """A fit stopped between two rounds because the trial's time ran out."""


def _check_clock(stop_at: float | None, *_: Any) -> None:
    """Called between a head's rounds (a LightGBM callback, an MLP epoch)."""
    if stop_at is not None and time.time() > stop_at:
        raise OutOfTimeError


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """``f1_score(y_true, y_pred, average="macro")`` for integer labels: the mean over the
    labels present in either array of 2 TP / (true + predicted). A tenth of a millisecond
    where sklearn's label checks take milliseconds, every fold of every trial."""
    n = int(max(y_true.max(), y_pred.max())) + 1
    tp = np.bincount(y_true[y_true == y_pred], minlength=n)
    counts = np.bincount(y_true, minlength=n) + np.bincount(y_pred, minlength=n)
    present = counts > 0
    return float(np.mean(2.0 * tp[present] / counts[present]))


def available_cpus() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def searches_normalization(embedder: str, head: str) -> bool:
    """Whether trials choose the input normalisation (``params["normalize"]``): for dense
    embeddings that are not standardised anyway, and heads that scaling can change."""
    cls = make_embedder(embedder)
    return not (cls.needs_scaling or cls.sparse_output or HEADS[head].scale_invariant)


def compatible_heads(embedder: str, heads: Sequence[str]) -> list[str]:
    emb_cls = make_embedder(embedder)
    out = []
    for key in heads:
        spec = HEADS[key]
        if spec.embedders is not None and embedder not in spec.embedders:
            continue
        if emb_cls.sparse_output and not spec.accepts_sparse:
            continue
        out.append(key)
    return out


class Objective:
    """Callable for ``study.optimize``. Embeddings come from the cache, once per process."""

    def __init__(
        self,
        *,
        texts: list[str],
        labels: list[str],
        keys: list[bytes],
        embedders: list[str],
        heads: list[str],
        latency_ms: dict[str, float | None],
        folds: int,
        seed: int,
        multi: bool,
        home: str | Path | None,
        tracker: Tracker | None = None,
        parent_run_id: str | None = None,
        deadline: float | None = None,
        reserve: Callable[[Any], float | None] | None = None,
        validation: tuple[list[str], list[bytes], list[str]] | None = None,
    ) -> None:
        self.data = FoldData(
            texts=texts,
            labels=labels,
            keys=keys,
            folds=folds,
            seed=seed,
            home=home,
            validation=validation,
        )
        self.embedders = embedders
        self.heads = {e: compatible_heads(e, heads) for e in embedders}
        self.embedders = [e for e in embedders if self.heads[e]]
        self.latency_ms = latency_ms
        self.seed = seed
        self.multi = multi
        self.tracker = tracker
        self.parent = parent_run_id
        self._runs: BackgroundRuns | None = None
        self._warm = WarmStarts()
        #: wall-clock deadline (time.time()) for trials, and the seconds to keep for finalising
        self.deadline = deadline
        self.reserve = reserve
        #: seconds per fold of every (embedder, head) run so far, pruned trials' folds too
        self._fold_seconds: dict[tuple[str, str], list[float]] = {}

    @contextlib.contextmanager
    def background_runs(self) -> Iterator[None]:
        """While open, trials hand their MLflow runs to a writer thread instead of writing
        them themselves (:class:`BackgroundRuns`); on exit, every run is written."""
        if self.tracker is None:
            yield
            return
        with BackgroundRuns(self.tracker) as runs:
            self._runs = runs
            try:
                yield
            finally:
                self._runs = None

    def _log_run(self, run: FinishedRun) -> None:
        if self._runs is not None:
            self._runs.put(run)
        elif self.tracker is not None:
            self.tracker.log_run(run)

    def _fold(
        self,
        ek: str,
        hk: str,
        params: dict[str, Any],
        scale: bool,
        fold: int,
        stop_at: float | None = None,
    ) -> _FoldResult:
        """Fit on one fold's train part and score macro-F1 on its held-out part. A head that
        trains in rounds (boosting, epochs) is stopped at ``stop_at`` (wall clock) with
        :class:`OutOfTimeError`: one fold of a large LightGBM can outlast a whole small budget."""
        data = self.data
        tr, va = data.splits()[fold]
        standard = standardizes(hk, params, scale)
        Xtr, Xva = data.arrays(ek, fold, standard)
        dense = isinstance(Xtr, np.ndarray)
        est = build_head(
            hk,
            params,
            scale=scale,
            seed=self.seed,
            probability=False,
            dense=dense,
            prescaled=dense,  # the fold's arrays are standardised already
        )
        attrs = HEADS[hk].warm_start
        # features fitted per fold (TF-IDF) differ between folds: warm starts stay in the fold
        shared = data.features(ek) is not None
        warm = self._warm.start(est, ek, hk, fold, params, attrs, across_folds=shared)
        early = HEADS[hk].early_stopping and dense and data.validation is not None
        epochs = None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            if early:
                assert data.validation is not None
                epochs = fit_early_stopped(
                    est,
                    Xtr,
                    data.y[tr],
                    data.validation_arrays(ek, fold, standard),
                    data.validation[2],
                    macro_f1,
                    each_epoch=functools.partial(_check_clock, stop_at),
                )
            elif HEADS[hk].round_callbacks and stop_at is not None:
                est.fit(Xtr, data.y[tr], callbacks=[functools.partial(_check_clock, stop_at)])
            else:
                est.fit(Xtr, data.y[tr])
            t1 = time.perf_counter()
            pred = est.predict(Xva)
            t2 = time.perf_counter()
        if warm is not None:
            self._warm.keep(est, warm, attrs)
        score = macro_f1(data.y[va], np.asarray(pred))
        return _FoldResult(score, t1 - t0, t2 - t1, len(va), epochs)

    def _check_budget(
        self,
        trial: Any,
        kind: tuple[str, str],
        reserve: float | None,
        started: float,
        done: int,
        folds: int,
    ) -> None:
        """Stop a trial that cannot finish before the deadline with ``reserve`` seconds left to
        finalise: before it starts, from the seconds per fold its embedder + head took before
        (a kind not run yet is taken to be as slow as the slowest kind so far: a fold cannot be
        interrupted, and a first LightGBM fold on TF-IDF can take longer than the rest of a
        small budget); after each fold, from its own pace. A trial stopped here is pruned (and
        says why). ``reserve`` None (no trial completed yet: no winner) never stops one."""
        import optuna

        if self.deadline is None or reserve is None:
            return
        if done == 0:
            past = self._fold_seconds.get(kind)
            per_fold = (
                float(np.median(past))
                if past
                else max((float(np.median(v)) for v in self._fold_seconds.values()), default=0.0)
            )
            needed = per_fold * folds
        else:
            needed = (time.time() - started) / done * (folds - done)
        if time.time() + needed + reserve > self.deadline:
            trial.set_user_attr("stopped", "budget")
            raise optuna.TrialPruned(
                f"{kind[0]} + {kind[1]} needs ~{needed:.1f}s more; the budget has less left"
            )

    def __call__(self, trial: Any) -> float | tuple[float, float]:
        import optuna

        trial.set_user_attr("host", socket.gethostname())
        trial.set_user_attr("pid", os.getpid())
        ek = trial.suggest_categorical("embedder", self.embedders)
        hk = trial.suggest_categorical(f"head.{ek}", self.heads[ek])
        params = HEADS[hk].space(trial)
        if searches_normalization(ek, hk):  # standardising helps some heads and hurts others
            params["normalize"] = trial.suggest_categorical("normalize", list(NORMALIZATIONS))
        trial.set_user_attr("embedder", ek)
        trial.set_user_attr("head", hk)
        trial.set_user_attr("params", params)
        scale = make_embedder(ek).needs_scaling
        start_ms = int(time.time() * 1000)
        scores: list[float] = []
        epochs: list[int] = []  # per fold, for heads stopped on the validation split
        fit_s = predict_s = 0.0
        n_pred = 0
        status = "FINISHED"
        splits = self.data.splits()
        started = time.time()
        # the best trial so far only changes between trials: estimate its finalising once
        reserve = self.reserve(trial.study) if self.deadline and self.reserve else None
        # a fit that trains in rounds stops at this point (None: no budget, or no winner yet)
        stop_at = None if self.deadline is None or reserve is None else self.deadline - reserve
        try:
            self._check_budget(trial, (ek, hk), reserve, started, 0, len(splits))
            # folds run one after another, pruning after each; trials run in parallel threads
            # (study.optimize n_jobs), each fold with one BLAS thread
            for fold in range(len(splits)):
                fold_started = time.time()
                try:
                    done = self._fold(ek, hk, params, scale, fold, stop_at)
                except OutOfTimeError:
                    trial.set_user_attr("stopped", "budget")
                    raise optuna.TrialPruned(
                        f"{ek} + {hk} stopped in fold {fold + 1}: the budget ran out"
                    ) from None
                self._fold_seconds.setdefault((ek, hk), []).append(time.time() - fold_started)
                if done.epochs is not None:
                    epochs.append(done.epochs)
                scores.append(done.macro_f1)
                fit_s += done.fit_seconds
                predict_s += done.predict_seconds
                n_pred += done.predicted
                if not self.multi:
                    trial.report(float(np.mean(scores)), fold)
                    # a trial that ran every fold completes: its CV score is known in full
                    if fold < len(splits) - 1 and trial.should_prune():
                        raise optuna.TrialPruned(f"pruned after fold {fold + 1}")
                if reserve is None and self.deadline and self.reserve:
                    # started before any trial completed: once one has, this one must leave
                    # time to finalise that winner (or itself) too
                    reserve = self.reserve(trial.study)
                    if reserve is not None:
                        stop_at = self.deadline - reserve
                self._check_budget(trial, (ek, hk), reserve, started, fold + 1, len(splits))
        except optuna.TrialPruned:
            status = "KILLED"
            raise
        except Exception:
            status = "FAILED"
            raise
        finally:
            f1 = float(np.mean(scores)) if scores else 0.0
            encode_ms = self.latency_ms.get(ek)  # None: not measured (cached, f1 objective)
            head_ms = 1000 * predict_s / max(n_pred, 1)
            latency = None if encode_ms is None else encode_ms + head_ms
            trial.set_user_attr("cv_scores", scores)
            trial.set_user_attr("latency_ms", latency)
            trial.set_user_attr("fit_seconds", fit_s)
            if ek in self.data.fit_seconds:  # TF-IDF: what refitting the embedder will take
                trial.set_user_attr("embed_fit_seconds", self.data.fit_seconds[ek])
            if epochs:  # what the deployed head trains for (it has no data left to watch)
                trial.set_user_attr("epochs", int(np.median(epochs)))
            if self.tracker is not None:
                self._log_run(
                    FinishedRun(
                        name=f"trial-{trial.number}",
                        parent_id=self.parent,
                        tags={"textops.trial": str(trial.number)},
                        params={"embedder": ek, "head": hk, **params},
                        metrics={
                            "cv_macro_f1": f1,
                            "fit_seconds": fit_s,
                            "predict_seconds": predict_s,
                            "head_latency_ms": head_ms,
                            "folds_run": len(scores),
                            **({"epochs": float(np.median(epochs))} if epochs else {}),
                            **({} if latency is None else {"latency_ms": latency}),
                        },
                        status=status,
                        start_ms=start_ms,
                        end_ms=int(time.time() * 1000),
                    )
                )
        if self.multi:
            assert latency is not None, "the f1-latency objective measures every embedder"
            return f1, latency
        return f1
