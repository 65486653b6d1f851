"""``run_search``: plan -> study -> optimise -> finalise, each step entered once.

1. **plan**: which embedders fit the budget; fill the embedding cache for them
   (``_plan``).
2. **study**: create or resume the Optuna study of this search space (``_study``).
3. **optimise**: trials in threads (one per CPU) or worker processes, each trial one
   :class:`Objective` call, all of them inside one :class:`Budget`.
4. **finalise**: refit the winner, score test once, log, save, register (``_finalize``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textops._json import to_json
from textops.data import Dataset, read_labelled
from textops.embed import EMBEDDERS, EmbeddingCache
from textops.errors import ConfigError, UnknownPluginError
from textops.model import HEADS, REFERENCE_VECTORS
from textops.search._budget import Budget
from textops.search._config import DEFAULT_EMBEDDERS, SearchConfig
from textops.search._data import SearchData
from textops.search._finalize import FinalizeInputs, finalize
from textops.search._pairing import compatible_heads
from textops.search._plan import EmbedderPlan, PlanFacts, SampleFrame, plan_embedders
from textops.search._report import SearchReport
from textops.search._study import (
    count_done,
    fail_dead_trials,
    load_or_create_study,
    make_storage,
    queued_starts,
    running_study,
    spawn_workers,
    study_lock_path,
)
from textops.search._trained_plan import TrainedPlanner
from textops.search._trials import build_objective, optimize, worker
from textops.track import DatasetInput, MlflowTracker, OpenRun, RunOpening, Tracker, open_run

if TYPE_CHECKING:
    from optuna import Study
    from optuna.trial import FrozenTrial

__all__ = ["run_search"]

log = logging.getLogger("textops.search")

Callback = Callable[["Study", "FrozenTrial"], None]


def _check_keys(config: SearchConfig) -> SearchConfig:
    """``config`` with its heads resolved (the defaults for its data when none were given) and
    only those whose packages are installed (each one left out is logged with the extra that
    brings it); unknown keys are an error."""
    for key in config.embedders:
        if key not in EMBEDDERS:
            raise UnknownPluginError(f"no embedder {key!r}; choose from {', '.join(EMBEDDERS)}")
    for key in config.head_keys:
        if key not in HEADS:
            raise UnknownPluginError(f"no head {key!r}; choose from {', '.join(HEADS)}")
    heads = tuple(k for k in config.head_keys if HEADS[k].installed)
    for key in sorted(set(config.head_keys) - set(heads)):
        log.warning("head %s left out: %s is not installed (pip install 'textops[trees]')",
                    key, ", ".join(HEADS[key].needs))  # fmt: skip
    if not heads:
        raise ConfigError(
            f"none of the heads {list(config.head_keys)} is installed; install their extra "
            "(pip install 'textops[trees]') or pick others (e.g. --heads logreg)"
        )
    return config.model_copy(update={"heads": heads})


def _for_language(config: SearchConfig, language: str | None) -> SearchConfig:
    """Data mostly in another language than English: the default embedders become the ones
    that read it (the multilingual e5, and TF-IDF, which reads any script); English-only ones
    asked for by name stay, with a warning."""
    if language in (None, "en"):
        return config
    english = [k for k in config.embedders if k in EMBEDDERS and EMBEDDERS[k].english_only]
    if config.embedders == DEFAULT_EMBEDDERS:
        keep = tuple(k for k in config.embedders if k not in english)
        log.warning(
            "the data is mostly %r: the default search uses the embedders that read it (%s), "
            "not the English-only %s (name them with --embedders to try them anyway)",
            language, ", ".join(keep), ", ".join(english),
        )  # fmt: skip
        return config.model_copy(update={"embedders": keep})
    if english:
        log.warning(
            "the data is mostly %r, but %s %s made for English text (an English model or "
            "English readability features); e5 reads about 100 languages",
            language, ", ".join(english), "is" if len(english) == 1 else "are",
        )  # fmt: skip
    return config


def _no_embeddings_needed(config: SearchConfig) -> frozenset[str]:
    """Embedders whose heads in this search all read texts (fine-tunes) or that no head takes."""
    return frozenset(
        e
        for e in config.embedders
        if not any(not HEADS[h].text_input for h in compatible_heads(e, list(config.head_keys)))
    )


def _trained_kinds(config: SearchConfig) -> list[tuple[str, str]]:
    """The (embedder, trained head) pairs this search may train."""
    heads = list(config.head_keys)
    return [
        (e, h) for e in config.embedders for h in compatible_heads(e, heads) if HEADS[h].text_input
    ]


def _trained_planner(
    config: SearchConfig,
    data: SearchData,
    cache: EmbeddingCache,
    kinds: list[tuple[str, str]],
    named: bool,
) -> TrainedPlanner:
    """What decides, once the encode rates are known, whether a fine-tune gets time."""
    return TrainedPlanner(
        [] if config.pooled else kinds,  # few labels: its trained starts are its portfolio's
        cache,
        n_train=len(data.train),
        n_deploy=len(data.test) + min(len(data.refit), REFERENCE_VECTORS),
        budget_s=config.time_limit,
        named=named,
        texts=data.all_texts,
        keys=data.all_keys,
    )


def _sample_frame(data: SearchData, config: SearchConfig) -> SampleFrame:
    """Where a budget-sampled embedder's rows come from (train and test among all texts)."""
    # all_texts is the version's rows in file order; the splits' positions in it
    where = {name: i for i, name in enumerate(data.all_keys)}
    return SampleFrame(
        train=[where[k] for k in data.train.keys],
        labels=list(data.train.labels),
        test=[where[k] for k in data.test.keys],
        folds=data.cv_folds(config.cv_folds),
    )


def _portfolio_order(plans: list[EmbedderPlan]) -> list[str]:
    """The embedders in the order the portfolio tries them: the cheapest first (a winner, and
    so a known finalising cost, within seconds), then hybrids (embedders built on others'
    cached embeddings: in one-off checks the best of every built-in dataset; when the budget
    leaves room for a few trials only, they get them), then the rest cheapest first (by
    measured or remembered cost, else the table's cost rank)."""
    by_cost = sorted(plans, key=lambda p: p.cost)
    if not by_cost:
        return []
    first, rest = by_cost[0], by_cost[1:]
    hybrid = [p for p in rest if EMBEDDERS[p.key].parts]  # built on other table entries
    return [p.key for p in [first, *hybrid, *(p for p in rest if p not in hybrid)]]


def _start_run(
    tracker: Tracker,
    config: SearchConfig,
    ds: Dataset,
    data: SearchData,
    plans: list[EmbedderPlan],
    parent_run_id: str | None = None,
) -> OpenRun:
    """The search's parent MLflow run (nested under ``parent_run_id``, e.g. a pipeline's
    search stage): its config, its data (one MLflow dataset per split) and its embedder plan."""
    splits = (("train", data.train), ("validation", data.validation), ("test", data.test))
    return open_run(
        tracker,
        RunOpening(
            f"search {config.study_name}",
            parent_id=parent_run_id,
            tags={"textops.study": config.study_name, "textops.dataset": ds.name},
            params={
                **config.model_dump(mode="json"),
                "dataset_version": ds.version,
                "dataset_fingerprint": ds.fingerprint,
                "cv_folds_used": data.cv_folds(config.cv_folds),
            },
            # MLflow merges inputs that share name and digest: one per split
            datasets=[
                DatasetInput(
                    name=f"{ds.name}@{ds.version}:{name}",
                    digest=hashlib.sha256(f"{ds.fingerprint}:{name}".encode()).hexdigest(),
                    source=str(ds.data_path),
                    context=name,
                    profile={"rows": len(split), "dataset_fingerprint": ds.fingerprint},
                )
                for name, split in splits
            ],
            files={"embedder_plan.json": [to_json(p) for p in plans]},
        ),
    )


def run_search(
    config: SearchConfig,
    *,
    home: str | Path | None = None,
    tracker: Tracker | None = None,
    show_progress: bool | None = None,
    parent_run_id: str | None = None,
) -> SearchReport:
    """Run (or resume) the search of ``config``; ``--json`` prints ``to_json(report)``.
    Its MLflow run nests under ``parent_run_id`` when given."""
    version = read_labelled(
        config.dataset, config.dataset_version, home=home, purpose="a search trains classifiers"
    )
    ds = version.dataset
    # the version this search runs on, and its bounds, for its study's identity, its workers
    # and its record
    config = config.model_copy(update={"dataset_version": ds.version, "trials": config.trial_limit,
                                       "timeout": config.time_limit})  # fmt: skip
    config = _for_language(config, ds.language)
    data = SearchData.of(version)
    if config.few_labels and data.median_per_label() < config.few_labels:
        log.warning(
            "few labels (median %.0f rows per label, under %d): every labelled row is pooled; "
            "the search chooses and estimates by %d x repeated stratified CV and refits on all",
            data.median_per_label(), config.few_labels, config.cv_repeats,
        )  # fmt: skip
        data = data.pooled()
        config = config.model_copy(update={"pooled": True})
    # after pooling: with few labels, the default heads are the few-labels ones
    named_heads = config.heads is not None
    config = _check_keys(config)
    if "llm" in config.recipes and data.synthetic is None:
        raise ConfigError(
            f"recipe llm: dataset {ds.name}@{ds.version} has no LLM-written rows; make them "
            "with `textops data synth` (or search with --llm-endpoint and --llm-model)"
        )
    budget = Budget.start(config.time_limit, n_train=len(data.train), n_refit=len(data.refit),
                          ensemble=config.ensemble)  # fmt: skip
    data.cv_folds(config.cv_folds)  # a label too rare for CV stops the search here
    tracker = tracker or MlflowTracker(config.tracking_uri, home=home)
    if config.workers > 1 and not tracker.shared:
        raise ConfigError("an in-memory tracker cannot follow worker processes; use MLflow")

    # 1. plan
    cache = EmbeddingCache(home=home)
    kinds = _trained_kinds(config)
    planner = _trained_planner(config, data, cache, kinds, named_heads)
    plans = plan_embedders(
        list(config.embedders),
        data.all_texts,
        data.all_keys,
        cache,
        budget=budget,
        fit_texts=data.train.texts,
        measure_latency=config.objective == "f1-latency",
        skip_encode=_no_embeddings_needed(config),
        frame=_sample_frame(data, config),
        hold=planner,
    )
    frozen = [h for h in config.head_keys if not HEADS[h].text_input]
    ruled_out = {**planner.ruled_out(), **planner.keep_encoder(plans, frozen)}
    facts = PlanFacts.of(plans, ruled_out=ruled_out, planned=planner.planned(),
                         trained_runs=planner.trained_runs(kinds))  # fmt: skip
    for tp in planner.plans:
        log.info("%s + %s: %s", tp.embedder, tp.head, tp.reason)
    for plan in plans:
        plan.rows = plan.rows or len(data.train)
    included = _portfolio_order([p for p in plans if p.included])
    if not included:
        raise ConfigError(
            "no embedder fits the time budget; raise --timeout or pick cheaper "
            "embedders (e.g. --embedders static,tfidf)"
        )
    # 2. study
    study = load_or_create_study(config, make_storage(config.storage, home), included,
                                 trained_runs=facts.trained_runs, planned=facts.planned)  # fmt: skip
    embedders = list(study.user_attrs["embedders"])
    lock = study_lock_path(config, home)
    fail_dead_trials(study, lock)
    opened = _start_run(tracker, config, ds, data, plans, parent_run_id)
    run, status = opened.id, "FINISHED"
    try:
        # 3. optimise: trials start (and run on) only while the winner so far could still be
        # refitted, scored and saved inside the budget
        remaining = config.trial_limit - count_done(study)
        if config.pooled:  # few labels: the portfolio's trials only (few_label_portfolio)
            remaining = min(remaining, queued_starts(study))
        kept = None
        if remaining > 0 and config.workers == 1:
            obj = build_objective(config, data, embedders, facts, cache, budget, tracker, run,
                                  opened.children, keep_trained=True)  # fmt: skip
            with running_study(lock):
                optimize(study, obj, config, remaining, show_progress)
            kept = obj.trained.kept
        elif remaining > 0:
            shares = [
                remaining // config.workers + (i < remaining % config.workers)
                for i in range(config.workers)
            ]
            run_ref = run if tracker.shared else None
            home_s = str(home) if home is not None else None
            args = (config.model_dump_json(), home_s)
            codes = spawn_workers(
                worker,
                [(*args, n, budget, run_ref, facts, embedders) for n in shares if n > 0],
            )
            if any(codes):
                log.warning("worker exit codes %s: some trials may be missing", codes)
        # 4. finalise
        return finalize(
            FinalizeInputs(
                config, study, ds, data, tracker, run, plans, budget, cache, kept, planner.plans
            )
        )
    except BaseException:
        status = "KILLED"
        raise
    finally:
        opened.end(status)  # the trials' runs written first
