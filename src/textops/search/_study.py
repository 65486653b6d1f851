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
from textops._types import JSON, Params
from textops.search._config import SearchConfig

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


#: logistic regression's C on sparse features, in the order the portfolio tries them: TF-IDF
#: + logistic regression is the classic strong text baseline, best at weak regularisation (its
#: usual C grid's upper half, so the search never misses it; C 100 won the 5-fold CV of every
#: built-in dataset in a one-off check)
SPARSE_C = (100.0, 10.0, 1.0)


def portfolio(
    embedders: list[str],
    heads: list[str],
    *,
    few_labels: bool = False,
    planned: tuple[str, str] | None = None,
) -> list[Params]:
    """Strong, cheap starting points tried before the sampler takes over: a regularised linear
    head per embedder, breadth first. Round one gives every embedder (cheapest first) one
    start, so that a small budget still tries each; the next rounds add the other C values
    of the sparse ones; then each trained head from its defaults. The sampler then explores
    around them. ``planned``: a trained kind the plan found time for goes third, after the
    two cheapest frozen starts (a winner, and its finalising cost, known before it trains).
    ``few_labels``: the whole search instead (:func:`few_label_portfolio`)."""
    if few_labels:
        return few_label_portfolio(embedders, heads)
    from textops.embed import EMBEDDERS
    from textops.search._pairing import compatible_heads, searches_normalization

    rounds: list[list[JSON]] = [[] for _ in SPARSE_C]
    for emb in embedders:
        usable = compatible_heads(emb, heads)
        head = "logreg" if "logreg" in usable else "linear_svm" if "linear_svm" in usable else None
        if head is None:
            continue
        as_given = {"normalize": "none"} if searches_normalization(emb, head) else {}
        if head == "logreg":
            sparse = EMBEDDERS[emb].cls.sparse_output
            values = [("logreg.C", c) for c in (SPARSE_C if sparse else (1.0,))]
        else:
            values = [("linear_svm.C", 0.5)]
        for r, (name, c) in enumerate(values):
            rounds[r].append(
                {
                    "embedder": emb,
                    f"head.{emb}": head,
                    name: c,
                    f"{head}.class_weight": None,
                    **as_given,
                }
            )
    linear = [start for starts in rounds for start in starts]
    trained = _trained_starts(embedders, heads)
    if planned is not None:
        first = _default_start(*planned)
        trained = [t for t in trained if t.get("embedder") != planned[0]
                   or t.get(f"head.{planned[0]}") != planned[1]]  # fmt: skip
        return [*linear[:2], first, *linear[2:], *trained]
    return linear + trained


def few_label_portfolio(embedders: list[str], heads: list[str]) -> list[Params]:
    """The trials of a few-labels search, each once: every head on every embedder it takes,
    with the head's few-labels parameters (``HeadSpec.few_labels``, else its defaults), heads
    on embeddings first (each takes moments on a few dozen rows, and gives a winner to keep
    time for), then the trained heads on each encoder they start from, cheapest first.

    No hyperparameter search: on a few dozen rows a CV score moves by a whole held-out error
    between two folds' draws, so the best of a thousand sampled trials is mostly the luckiest
    one (bench/selection.py measures it against fixed parameters)."""
    from textops.model import HEADS
    from textops.search._pairing import compatible_heads

    frozen = [
        _default_start(emb, hk)
        for emb in embedders
        for hk in compatible_heads(emb, heads)
        if not HEADS[hk].text_input
    ]
    trained = [
        _default_start(emb, hk)
        for hk in heads
        if HEADS[hk].text_input
        for emb in embedders
        if hk in compatible_heads(emb, [hk])
    ]
    return frozen + trained


def _default_start(emb: str, hk: str) -> JSON:
    """Head ``hk`` on ``emb`` with its few-labels parameters, else its own defaults, its
    inputs as the embedder gives them."""
    from textops.model import HEADS
    from textops.search._pairing import searches_normalization

    spec = HEADS[hk]
    trial = _Defaults({**spec.defaults(), **spec.few_labels})
    spec.space(trial)
    as_given = {"normalize": "none"} if searches_normalization(emb, hk) else {}
    return {"embedder": emb, f"head.{emb}": hk, **trial.chosen, **as_given}


class _Defaults:
    """A stand-in trial that answers every suggestion with the head's own default (when the
    space allows it) and records the parameter's name."""

    def __init__(self, defaults: JSON) -> None:
        self.defaults = defaults
        self.chosen: JSON = {}

    def _pick(self, name: str, ok: Any, fallback: Any) -> Any:
        value = self.defaults.get(name.split(".", 1)[-1], fallback)
        if ok(value):
            self.chosen[name] = value
            return value
        return fallback

    def suggest_float(self, name: str, low: float, high: float, **_: Any) -> float:
        return float(self._pick(name, lambda v: isinstance(v, float) and low <= v <= high, low))

    def suggest_int(self, name: str, low: int, high: int, **_: Any) -> int:
        return int(self._pick(name, lambda v: isinstance(v, int) and low <= v <= high, low))

    def suggest_categorical(self, name: str, choices: list[Any]) -> Any:
        return self._pick(name, lambda v: v in choices, choices[0])


def _trained_starts(embedders: list[str], heads: list[str]) -> list[JSON]:
    """Each trained head (fine-tune, SetFit) once with its own defaults, on the first
    embedder it takes: a sampled learning rate is often far from one that works, and a
    trained head gets few trials."""
    from textops.model import HEADS
    from textops.search._pairing import compatible_heads

    out = []
    for hk in heads:
        if not HEADS[hk].text_input:
            continue
        emb = next((e for e in embedders if hk in compatible_heads(e, [hk])), None)
        if emb is not None:
            out.append(_default_start(emb, hk))
    return out


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
