"""Optuna storage, study creation/resume, stale-trial recovery and worker processes."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import socket
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textops._cpus import allowed_cpus
from textops._home import home_dir
from textops._packages import require
from textops._types import JSON
from textops.search._config import SearchConfig
from textops.search._portfolio import portfolio

if TYPE_CHECKING:
    from optuna import Study
    from optuna.storages import BaseStorage

__all__ = [
    "count_done",
    "fail_dead_trials",
    "load_or_create_study",
    "make_storage",
    "queued_starts",
    "running_study",
    "study_lock_path",
    "trial_threads",
]

log = logging.getLogger("textops.search")


def make_storage(url: str | None, home: str | Path | None) -> BaseStorage:
    """A journal file under the home by default; ``journal:PATH`` / ``*.log``; else an RDB URL."""
    import optuna
    from optuna.storages import JournalStorage, RDBStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if url is None or url.startswith("journal:") or url.endswith(".log"):
        path = (
            Path(url.removeprefix("journal:")) if url else home_dir(home) / "optuna" / "journal.log"
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(str(path)))
    if url.startswith("postgresql"):
        require("postgres", "a PostgreSQL study storage", "psycopg")
    return RDBStorage(
        url, heartbeat_interval=15, grace_period=60, engine_kwargs={"pool_pre_ping": True}
    )


def available_cpus() -> int:
    """CPUs this process may run on."""
    return len(allowed_cpus())


def trial_threads(config: SearchConfig, trained_runs: bool = True) -> int:
    """Trials each process runs at once (in threads): one per CPU it has to itself; one when a
    trained head is among the heads and may run (``trained_runs``: the plan did not rule out
    every one): its training uses every core itself, and a trial beside it would halve its
    measured speed and with it the epochs its budget allows."""
    from textops.model import HEADS

    if trained_runs and any(h in HEADS and HEADS[h].text_input for h in config.head_keys):
        return 1
    return max(1, available_cpus() // config.workers)


def load_or_create_study(
    config: SearchConfig,
    storage: BaseStorage,
    embedders: list[str],
    *,
    trained_runs: bool = True,
    planned: tuple[str, str] | None = None,
) -> Study:
    """The search's study, created with its portfolio of starts (``planned``: the trained
    kind the plan found time for, started early) or resumed."""
    import optuna
    from optuna.pruners import MedianPruner, NopPruner
    from optuna.samplers import TPESampler

    multi = config.objective == "f1-latency"
    # trials running at the same time (threads, worker processes) should not all sample the
    # same point: TPE counts running trials as bad ones
    concurrent = config.workers > 1 or trial_threads(config, trained_runs) > 1
    sampler = TPESampler(seed=config.seed, constant_liar=concurrent)
    pruner = NopPruner() if multi else MedianPruner(n_startup_trials=5, n_warmup_steps=0)
    kwargs: JSON = {"directions": ["maximize", "minimize"]} if multi else {"direction": "maximize"}
    study = optuna.create_study(
        storage=storage,
        study_name=config.study_name,
        sampler=sampler,
        pruner=pruner,
        load_if_exists=True,
        **kwargs,
    )
    if "embedders" not in study.user_attrs:
        study.set_user_attr("embedders", embedders)
        study.set_user_attr("dataset", config.dataset)
        study.set_user_attr("objective", config.objective)
        study.set_user_attr("space", config.space())
        starts = portfolio(
            embedders, list(config.head_keys), few_labels=config.pooled, planned=planned
        )
        for params in starts:
            study.enqueue_trial(params, skip_if_exists=True)
    else:
        _check_same_space(study, config)
    return study


def _check_same_space(study: Study, config: SearchConfig) -> None:
    """A named study resumed with another search space would mix trials that are not
    comparable (and register the old space's winner under the new name): refuse."""
    from textops.errors import ConfigError

    stored = study.user_attrs.get("space")
    if stored is None:  # a study from before spaces were recorded: its objective at least
        stored = {"objective": study.user_attrs.get("objective")}
    wanted = config.space()
    differs = {k: (v, wanted.get(k)) for k, v in stored.items() if wanted.get(k) != v}
    if differs:
        what = "; ".join(f"{k}: study {a!r}, this search {b!r}" for k, (a, b) in differs.items())
        raise ConfigError(
            f"study {config.study_name!r} holds trials of another search ({what}); pass "
            "another --study, or leave --study out (each search space gets its own study)"
        )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def study_lock_path(config: SearchConfig, home: str | Path | None) -> Path | None:
    """For journal-file storage: a lock file that every process running the study holds shared."""
    url = config.storage
    if url is not None and not (url.startswith("journal:") or url.endswith(".log")):
        return None  # RDB storages use Optuna's heartbeat instead
    journal = (
        Path(url.removeprefix("journal:")) if url else home_dir(home) / "optuna" / "journal.log"
    )
    return journal.with_name(f"{journal.name}.{config.study_name}.lock")


@contextlib.contextmanager
def running_study(lock: Path | None) -> Iterator[None]:
    """Hold the study's lock shared while this process runs trials."""
    if lock is None:
        yield
        return
    import fcntl

    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _nobody_running(lock: Path | None) -> bool:
    if lock is None:
        return False
    import fcntl

    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(fh, fcntl.LOCK_UN)
        return True


def fail_dead_trials(study: Study, lock: Path | None = None) -> int:
    """Mark RUNNING trials whose worker died (killed, Ctrl-C) as FAIL so they are run again.

    RDB storages use Optuna's heartbeat. For journal files, every process running the study
    holds ``lock`` shared: when nobody holds it, every RUNNING trial is dead. Otherwise a trial
    is failed when the host and pid it recorded name a process that no longer exists.
    """
    from optuna.storages import fail_stale_trials
    from optuna.trial import TrialState

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "experimental" since Optuna 2.9
        fail_stale_trials(study)
    host = socket.gethostname()
    all_dead = _nobody_running(lock)
    failed = 0
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        pid = t.user_attrs.get("pid")
        dead = all_dead or (
            t.user_attrs.get("host") == host and isinstance(pid, int) and not _alive(pid)
        )
        if dead:
            try:
                study._storage.set_trial_state_values(t._trial_id, state=TrialState.FAIL)
                failed += 1
            except Exception:  # finished meanwhile
                pass
    if failed:
        log.warning(
            "%d trial(s) of an interrupted run were marked failed and will be re-run", failed
        )
    return failed


def queued_starts(study: Study) -> int:
    """Trials waiting in the study's queue (a few-labels search runs these and no others); a
    start whose only trials failed (its worker was killed) is queued again first, so a
    resumed search still tries every start."""
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    tried = {_key(t) for t in trials if t.state != TrialState.FAIL}
    for t in trials:
        if t.state == TrialState.FAIL and _key(t) not in tried:
            study.enqueue_trial(dict(t.system_attrs.get("fixed_params", t.params)))
            tried.add(_key(t))
    return len(study.get_trials(deepcopy=False, states=(TrialState.WAITING,)))


def _key(trial: Any) -> str:
    import json

    params = trial.system_attrs.get("fixed_params", trial.params)
    return json.dumps(params, sort_keys=True, default=str)


def count_done(study: Study) -> int:
    from optuna.trial import TrialState

    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)))


def spawn_workers(
    target: Callable[..., None], args_per_worker: list[tuple[object, ...]]
) -> list[int]:
    """Run ``target(*args)`` in one spawned process per entry; returns exit codes."""
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=target, args=args, daemon=False) for args in args_per_worker]
    for p in procs:
        p.start()
    try:
        for p in procs:
            p.join()
    except KeyboardInterrupt:
        for p in procs:
            p.terminate()
        raise
    return [p.exitcode or 0 for p in procs]
