"""Running a study's trials: in threads of this process (one per CPU) or in worker processes
that share the study, each trial one :class:`Objective` call inside the search's one budget,
with a progress bar on a terminal."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING

from textops.data import read_labelled
from textops.embed import EmbeddingCache
from textops.search._budget import Budget
from textops.search._config import UNBOUNDED_TRIALS, SearchConfig
from textops.search._data import SearchData
from textops.search._objective import Objective
from textops.search._plan import PlanFacts
from textops.search._study import (
    count_done,
    load_or_create_study,
    make_storage,
    running_study,
    study_lock_path,
    trial_threads,
)
from textops.track import BackgroundRuns, MlflowTracker, Tracker

if TYPE_CHECKING:
    from optuna import Study
    from optuna.trial import FrozenTrial

__all__ = ["build_objective", "optimize", "worker"]

Callback = Callable[["Study", "FrozenTrial"], None]


def optimize(
    study: Study,
    obj: Objective,
    config: SearchConfig,
    n_trials: int,
    show_progress: bool | None = False,
) -> None:
    """Run ``n_trials`` (fewer when the budget stops them), one trial per CPU at a time. Every
    fit gets one BLAS thread: small dense solves run slower with threads fighting over two
    cores than one per trial, and trial-level parallelism has no idle core while the last
    fold of a trial runs."""
    from threadpoolctl import threadpool_limits

    left = obj.budget.left()
    callbacks: list[Callback] = [obj.budget.stop_callback()]
    bar = _progress_bar(config.trial_limit, count_done(study), show_progress)
    if bar is not None:
        callbacks.append(bar[1])
    # one BLAS/OpenMP thread per fit (sklearn, LightGBM)
    with threadpool_limits(1), bar[0] if bar else nullcontext():
        study.optimize(
            obj,
            n_trials=n_trials,
            timeout=max(left, 1.0) if obj.budget.limited else None,
            n_jobs=trial_threads(config, obj.trained_runs),
            catch=(ValueError,),
            callbacks=callbacks,
        )


def _progress_bar(
    total: int, done: int, enabled: bool | None
) -> tuple[AbstractContextManager[object], Callback] | None:
    from textops._util import is_interactive

    if not (is_interactive() if enabled is None else enabled):
        return None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("trials"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[best]}"),
        console=Console(stderr=True),
        transient=True,
    )
    # a search bounded by its timeout only has no trial count to fill
    task = bar.add_task(
        "search", total=None if total >= UNBOUNDED_TRIALS else total, completed=done, best=""
    )

    def callback(study: Study, trial: FrozenTrial) -> None:
        best = ""
        try:
            if len(study.directions) == 1:
                best = f"best macro-F1 {study.best_value:.4f}"
            else:
                best = f"Pareto front {len(study.best_trials)} trials"
        except ValueError:
            pass
        bar.update(task, advance=1, best=best)

    return bar, callback


def worker(
    config_json: str,
    home: str | None,
    n_trials: int,
    budget: Budget,
    parent_run: str | None,
    facts: PlanFacts,
    embedders: list[str],
) -> None:
    """Entry point of a worker process: same study, its own share of trials, inside the
    search's budget (its deadline is wall-clock time, the same in every process)."""
    config = SearchConfig.model_validate_json(config_json)
    data = SearchData.of(
        read_labelled(config.dataset, config.dataset_version, home=home, purpose="a search")
    )
    if config.pooled:
        data = data.pooled()
    tracker = MlflowTracker(config.tracking_uri, home=home) if parent_run else None
    study = load_or_create_study(config, make_storage(config.storage, home), embedders,
                                 trained_runs=facts.trained_runs)  # fmt: skip
    cache = EmbeddingCache(home=home)
    runs = BackgroundRuns(tracker) if tracker is not None else None
    obj = build_objective(config, data, embedders, facts, cache, budget, tracker, parent_run, runs)
    try:
        with running_study(study_lock_path(config, home)):
            optimize(study, obj, config, n_trials)
    finally:
        if runs is not None:
            runs.close()  # every trial's run written before the process ends


def build_objective(
    config: SearchConfig,
    data: SearchData,
    embedders: list[str],
    facts: PlanFacts,
    cache: EmbeddingCache,
    budget: Budget,
    tracker: Tracker | None,
    parent_run: str | None,
    runs: BackgroundRuns | None = None,
    *,
    keep_trained: bool = False,
) -> Objective:
    """The objective over the train split, as the main process and every worker build it;
    ``keep_trained``: the best trained trial's model is kept for finalising (in the main
    process only: a worker's model dies with it)."""
    return Objective(
        data=data,
        embedders=embedders,
        heads=list(config.head_keys),
        latency_ms=facts.latency_ms,
        folds=data.cv_folds(config.cv_folds),
        seed=config.seed,
        multi=config.objective == "f1-latency",
        cache=cache,
        budget=budget,
        tracker=tracker,
        parent_run_id=parent_run,
        runs=runs,
        head_options=dict(config.head_options),
        device=config.device,
        repeats=config.cv_repeats if config.pooled else 1,
        subsets=facts.subsets,
        rates=facts.rates,
        tie_break=config.pooled,
        recipes=config.recipes,
        synthetic=data.synthetic,
        keep_trained=keep_trained,
        ruled_out=facts.ruled_out,
        trained_runs=facts.trained_runs,
    )
