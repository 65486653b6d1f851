"""``run_search``: plan embedders within the budget, optimise, then finalise the winner."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import time
from pathlib import Path
from typing import Any

from textops.data import Dataset, DatasetStore
from textops.embed import EMBEDDERS, EmbeddingCache, make_embedder
from textops.errors import ConfigError, UnknownPluginError
from textops.search._budget import plan_embedders
from textops.search._config import SearchConfig
from textops.search._finalize import finalize, finalize_estimate
from textops.search._heads import HEADS
from textops.search._objective import Objective
from textops.search._study import (
    BudgetStop,
    count_done,
    fail_dead_trials,
    load_or_create_study,
    make_storage,
    running_study,
    spawn_workers,
    study_lock_path,
    trial_threads,
)
from textops.track import MemoryTracker, MlflowTracker, Tracker

__all__ = ["run_search"]

log = logging.getLogger("textops.search")


def _split(ds: Dataset) -> dict[str, Any]:
    table = ds.table(["text", "label", "split", "text_sha256"])
    cols = {c: table[c].to_pylist() for c in table.column_names}
    out: dict[str, Any] = {
        "all_texts": [str(t) for t in cols["text"]],
        "all_keys": cols["text_sha256"],
    }
    for name in ("train", "validation", "test"):
        idx = [i for i, s in enumerate(cols["split"]) if s == name]
        out[name] = {
            "texts": [str(cols["text"][i]) for i in idx],
            "labels": [str(cols["label"][i]) for i in idx],
            "keys": [cols["text_sha256"][i] for i in idx],
        }
    return out


def _check_keys(config: SearchConfig) -> None:
    for key in config.embedders:
        if key not in EMBEDDERS:
            raise UnknownPluginError(f"no embedder {key!r}; choose from {', '.join(EMBEDDERS)}")
    for key in config.heads:
        if key not in HEADS:
            raise UnknownPluginError(f"no head {key!r}; choose from {', '.join(HEADS)}")


def _folds(labels: list[str], wanted: int) -> int:
    from collections import Counter

    smallest = min(Counter(labels).values())
    if smallest < 2:
        raise ConfigError("a label has fewer than 2 training rows; stratified CV needs 2+")
    return min(wanted, smallest)


def _portfolio_order(plans: list[Any]) -> list[str]:
    """The embedders in the order the portfolio tries them: the cheapest first (a winner, and
    so a known finalising cost, within seconds), then hybrids (embedders built on others'
    cached embeddings: in one-off checks the best of every built-in dataset, by 1 to 4 test
    macro-F1 points; when the budget leaves room for a few trials only, they get them), then
    the rest cheapest first (by measured or remembered cost, else the table's cost rank)."""
    by_cost = sorted(plans, key=lambda p: p.cost)
    if not by_cost:
        return []
    first, rest = by_cost[0], by_cost[1:]
    hybrid = [p for p in rest if make_embedder(p.key).cached_parts()]
    return [p.key for p in [first, *hybrid, *(p for p in rest if p not in hybrid)]]


def _objective(
    config: SearchConfig,
    data: dict[str, Any],
    embedders: list[str],
    latency: dict[str, float | None],
    home: str | Path | None,
    tracker: Tracker | None,
    parent_run: str | None,
    stop_at: float | None = None,
) -> Objective:
    """The objective over the train split, as the main process and every worker build it."""
    train = data["train"]
    folds = _folds(train["labels"], config.cv_folds)
    return Objective(
        texts=train["texts"],
        labels=train["labels"],
        keys=train["keys"],
        embedders=embedders,
        heads=list(config.heads),
        latency_ms=latency,
        folds=folds,
        seed=config.seed,
        multi=config.objective == "f1-latency",
        home=home,
        tracker=tracker,
        parent_run_id=parent_run,
        deadline=stop_at,
        validation=(
            data["validation"]["texts"],
            data["validation"]["keys"],
            data["validation"]["labels"],
        ),
        reserve=functools.partial(
            finalize_estimate,
            n_train=len(train["texts"]),
            n_refit=len(train["texts"]) + len(data["validation"]["texts"]),
        ),
    )


def _worker(
    config_json: str,
    home: str | None,
    n_trials: int,
    stop_at: float | None,
    parent_run: str | None,
    latency: dict[str, float | None],
    embedders: list[str],
) -> None:
    """Entry point of a worker process: same study, its own share of trials, trials started
    only while they can finish before ``stop_at`` (wall clock)."""
    config = SearchConfig.model_validate_json(config_json)
    ds = DatasetStore(home).get(config.dataset, config.dataset_version)
    data = _split(ds)
    tracker = MlflowTracker(config.tracking_uri, home=home) if parent_run else None
    study = load_or_create_study(config, make_storage(config.storage, home), embedders)
    obj = _objective(config, data, embedders, latency, home, tracker, parent_run, stop_at)
    with running_study(study_lock_path(config, home)):
        _optimize(study, obj, config, n_trials, stop_at, [])


def _optimize(
    study: Any,
    obj: Objective,
    config: SearchConfig,
    n_trials: int,
    stop_at: float | None,
    callbacks: list[Any],
) -> None:
    """Run ``n_trials`` (fewer if ``stop_at``, wall clock, comes first), one trial per CPU at
    a time. Every fit gets one BLAS thread: small dense solves run slower with threads fighting
    over two cores than one per trial, and trial-level parallelism has no idle core while the
    last fold of a trial runs."""
    from threadpoolctl import threadpool_limits

    timeout = max(stop_at - time.time(), 1.0) if stop_at is not None else None
    # one BLAS/OpenMP thread per fit (sklearn, LightGBM); trials' MLflow runs written by a
    # writer thread, all of them before this returns
    with threadpool_limits(1), obj.background_runs():
        study.optimize(
            obj,
            n_trials=n_trials,
            timeout=timeout,
            n_jobs=trial_threads(config),
            catch=(ValueError,),
            callbacks=[BudgetStop(stop_at, reserve=obj.reserve), *callbacks],
        )


def _progress_callback(total: int, done: int, enabled: bool | None) -> Any:
    from textops._util import is_interactive

    if not (is_interactive() if enabled is None else enabled):
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from textops.search._config import UNBOUNDED_TRIALS

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

    def callback(study: Any, trial: Any) -> None:
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


def run_search(
    config: SearchConfig,
    *,
    home: str | Path | None = None,
    tracker: Tracker | None = None,
    show_progress: bool | None = None,
) -> dict[str, Any]:
    """Run (or resume) the search of ``config`` and return the report ``--json`` prints."""
    start = time.monotonic()
    deadline = start + config.timeout if config.timeout else None
    _check_keys(config)
    ds = DatasetStore(home).get(config.dataset, config.dataset_version)
    # the version this search runs on, for its study's identity, its workers and its record
    config = config.model_copy(update={"dataset_version": ds.version})
    data = _split(ds)
    folds = _folds(data["train"]["labels"], config.cv_folds)
    tracker = tracker or MlflowTracker(config.tracking_uri, home=home)
    if config.workers > 1 and isinstance(tracker, MemoryTracker):
        raise ConfigError("an in-memory tracker cannot follow worker processes; use MLflow")

    storage = make_storage(config.storage, home)
    cache = EmbeddingCache(home=home)
    plans = plan_embedders(
        list(config.embedders),
        data["all_texts"],
        data["all_keys"],
        cache,
        deadline=deadline,
        fit_texts=data["train"]["texts"],
        measure_latency=config.objective == "f1-latency",
    )
    included = _portfolio_order([p for p in plans if p.included])
    if not included:
        raise ConfigError(
            "no embedder fits the time budget; raise --timeout or pick cheaper "
            "embedders (e.g. --embedders static,tfidf)"
        )
    study = load_or_create_study(config, storage, included)
    embedders = list(study.user_attrs["embedders"])
    latency = {p.key: p.latency_ms for p in plans}
    lock = study_lock_path(config, home)
    fail_dead_trials(study, lock)

    parent = tracker.start_run(
        f"search {config.study_name}",
        tags={"textops.study": config.study_name, "textops.dataset": ds.name},
    )
    tracker.log_params(
        parent,
        {
            **config.model_dump(mode="json"),
            "dataset_version": ds.version,
            "dataset_fingerprint": ds.fingerprint,
            "cv_folds_used": folds,
        },
    )
    for split in ("train", "validation", "test"):
        # one MLflow dataset per split (MLflow merges inputs that share name and digest)
        tracker.log_dataset(
            parent,
            name=f"{ds.name}@{ds.version}:{split}",
            digest=hashlib.sha256(f"{ds.fingerprint}:{split}".encode()).hexdigest(),
            source=str(ds.data_path),
            context=split,
            profile={"rows": len(data[split]["texts"]), "dataset_fingerprint": ds.fingerprint},
        )
    tracker.log_dict(parent, [p.__dict__ for p in plans], "embedder_plan.json")

    remaining = config.trials - count_done(study)
    status = "FINISHED"
    try:
        if remaining > 0:
            # trials start (and run on) only while the winner so far could still be refitted,
            # scored and saved inside the budget: the objective's and BudgetStop's reserve
            left = deadline - time.monotonic() if deadline else None
            stop_at = time.time() + left if left is not None else None
            if config.workers == 1:
                obj = _objective(config, data, embedders, latency, home, tracker, parent, stop_at)
                bar, callback = _progress_callback(config.trials, count_done(study), show_progress)
                with running_study(lock), bar if bar is not None else contextlib.nullcontext():
                    _optimize(study, obj, config, remaining, stop_at, [callback] if bar else [])
            else:
                shares = [
                    remaining // config.workers + (i < remaining % config.workers)
                    for i in range(config.workers)
                ]
                run_ref = parent if isinstance(tracker, MlflowTracker) else None
                home_s = str(home) if home is not None else None
                codes = spawn_workers(
                    _worker,
                    [
                        (config.model_dump_json(), home_s, n, stop_at, run_ref, latency, embedders)
                        for n in shares
                        if n > 0
                    ],
                )
                if any(codes):
                    log.warning("worker exit codes %s: some trials may be missing", codes)
        return finalize(
            config=config,
            study=study,
            dataset=ds,
            data=data,
            tracker=tracker,
            parent_run=parent,
            plans=plans,
            home=home,
            started=start,
        )
    except BaseException:
        status = "KILLED"
        raise
    finally:
        tracker.end_run(parent, status)
