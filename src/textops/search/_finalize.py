"""After the trials: the winner (``_winner``), then refit -> evaluate (``_refit``) -> log ->
save -> register.

The winner's parent MLflow run gets the test metrics, the confusion matrix, the leaderboard and
the environment lock; the model is saved into that run and the
registry decides its alias (``ModelRegistry.register_classifier``).
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from textops._types import JSON
from textops.data import Dataset
from textops.embed import EmbeddingCache, encode_texts
from textops.model import TextClassifier, TrainingReference, build_reference, reference_rows
from textops.search._budget import Budget, finalize_estimate
from textops.search._config import SearchConfig
from textops.search._data import SearchData, Split
from textops.search._floor import FloorCheck, floor_trial
from textops.search._plan import EmbedderPlan
from textops.search._recipes import RecipeRow, recipe_summary
from textops.search._refit import evaluate_on_test, evaluate_winner, refit, refit_rows
from textops.search._report import DatasetRef, SearchReport, TrialRow, Winner
from textops.search._scores import CVEstimate
from textops.search._winner import leaderboard, pick_winner, winner_of
from textops.track import (
    EnvLock,
    Gate,
    HeldOut,
    ModelRecord,
    ModelRegistry,
    Registration,
    Scores,
    Tracker,
    log_model_record,
    save_pyfunc,
    scalar_metrics,
)

if TYPE_CHECKING:
    from optuna import Study
    from optuna.trial import FrozenTrial

__all__ = ["FinalizeInputs", "finalize"]

log = logging.getLogger("textops.search")


# -- log -> save -> register ---------------------------------------------------------------------
def log_winner(
    tracker: Tracker, run: str, winner: Winner, test: Scores | CVEstimate, board: list[TrialRow]
) -> EnvLock:
    """The parent run's record of the winner; returns the environment lock it logged."""
    best = {f"best.{k}": v for k, v in winner.params.items()}
    best |= {f"best.recipe.{k}": v for k, v in (winner.recipe or {}).items() if v is not None}
    files: dict[str, JSON | list[JSON]] = {"leaderboard.json": [row.__dict__ for row in board]}
    metrics = {"best_cv_macro_f1": winner.cv_macro_f1}
    if not isinstance(test, Scores):  # few labels: the repeated-CV estimate stands for a test
        values = test.as_json()
        metrics |= scalar_metrics(values, "cv_estimate")
        files["cv_estimate_metrics.json"] = values
    record = ModelRecord(
        params={"best.embedder": winner.embedder, "best.head": winner.head, **best},
        scores=test if isinstance(test, Scores) else None,
        metrics=metrics,
        files=files,
    )
    return log_model_record(tracker, run, record)


def drift_reference(
    clf: TextClassifier,
    data: SearchData,
    test_proba: np.ndarray,
    cache: EmbeddingCache,
    seed: int,
    rows: Split | None = None,
) -> TrainingReference:
    """What monitoring compares served traffic with: training texts' statistics, the model's
    label mix on test, and a sample of training embeddings (dense embedders only)."""
    rows = rows or data.refit
    vectors = None
    if clf.embedder.cacheable:  # dense: the sample the reference keeps, through the cache
        keep = reference_rows(len(rows), seed)
        vectors = encode_texts(
            clf.embedder,
            [rows.texts[i] for i in keep],
            cache,
            keys=[rows.keys[i] for i in keep],
            show_progress=False,
        ).vectors
    predicted = [clf.labels[i] for i in test_proba.argmax(axis=1)] if len(data.test) else []
    return build_reference(
        train_texts=rows.texts,
        train_vectors=vectors,
        test_texts=data.test.texts,
        test_pred_labels=predicted,
        labels=clf.labels,
        seed=seed,
    )


def save_winner(
    tracker: Tracker,
    run: str,
    clf: TextClassifier,
    dataset: Dataset,
    data: SearchData,
    reference: TrainingReference,
    env_lock: EnvLock,
) -> str:
    """The winner as an MLflow model in the parent run; returns its artifact URI."""
    with tempfile.TemporaryDirectory() as tmp:
        path = save_pyfunc(
            clf,
            Path(tmp) / "model",
            env_lock=env_lock,
            example_texts=data.test.texts or data.train.texts,
            metadata={"dataset": dataset.name, "fingerprint": dataset.fingerprint},
            drift_reference=reference,
        )
        return tracker.log_artifacts(run, path, "model")


def register(
    registry: ModelRegistry,
    *,
    model_name: str,
    config: SearchConfig,
    winner: Winner,
    dataset: Dataset,
    data: SearchData,
    test: Scores | CVEstimate,
    predicted: list[str],
    run_id: str,
    save: Callable[[], str],
) -> Registration:
    """Register the winner under the search's promotion gate: the version this study's
    trial already is, or (saved by ``save()``, which returns its source) a new one, decided
    on the test split (``predicted``: its labels there; the registry predicts the
    champion's). Few labels, no test split: a champion of other data is kept."""
    identity = {
        "textops.study": config.study_name,
        "textops.trial": str(winner.trial),
        "textops.dataset_fingerprint": dataset.fingerprint,
    }
    same = registry.existing(model_name, identity)
    if same is not None:
        return same
    source = save()
    held_out = None
    if len(data.test):
        held_out = HeldOut(data.test.texts, data.test.labels, predicted)
    gate = Gate(mode=config.gate, test=config.gate_test, alpha=config.gate_alpha, seed=config.seed)
    return registry.register_classifier(
        name=model_name,
        source=source,
        run_id=run_id,
        tags={
            "textops.embedder": winner.embedder,
            "textops.head": winner.head,
            "textops.dataset": f"{dataset.name}@{dataset.version}",
            "textops.cv_macro_f1": f"{winner.cv_macro_f1:.6f}",
            **identity,
        },
        macro_f1=float(test.macro_f1),
        fingerprint=dataset.fingerprint,
        gate=gate,
        held_out=held_out,
    )


# -- the sequence ----------------------------------------------------------------------------
class _Steps:
    """Seconds each finalising step took (the report's ``finalize_steps``)."""

    def __init__(self, began: float) -> None:
        self.last = began
        self.seconds: dict[str, float] = {}

    def done(self, step: str) -> None:
        now = time.time()
        self.seconds[step] = round(now - self.last, 2)
        self.last = now


@dataclass(frozen=True)
class FinalizeInputs:
    config: SearchConfig
    study: Study
    dataset: Dataset
    data: SearchData
    tracker: Tracker
    parent_run: str
    plans: list[EmbedderPlan]
    home: str | Path | None
    budget: Budget


def finalize(inputs: FinalizeInputs) -> SearchReport:
    config, study, dataset, data = inputs.config, inputs.study, inputs.dataset, inputs.data
    tracker, run = inputs.tracker, inputs.parent_run
    began = time.time()
    estimate = finalize_estimate(study, len(data.train), len(data.refit))
    best, pareto = pick_winner(study, config)
    winner = winner_of(best)
    cache = EmbeddingCache(home=inputs.home)
    steps = _Steps(began)
    rows = refit_rows(winner, data, inputs.plans)
    clf = refit(winner, data, dataset, cache, config.seed, config.device, rows)
    steps.done("refit")
    evaluated = evaluate_winner(clf, best, data, cache, config)
    steps.done("evaluate")
    lowest = floor_trial(study, best) if isinstance(evaluated.metrics, Scores) else None
    floor = None
    if lowest is not None:
        floored = winner_of(lowest)
        floor_clf = refit(floored, data, dataset, cache, config.seed, config.device, data.refit)
        floor_eval = evaluate_on_test(floor_clf, data, cache)
        floor = FloorCheck.of(lowest.number, float(evaluated.metrics.macro_f1),
                              float(floor_eval.metrics.macro_f1))  # fmt: skip
        if floor.chosen:
            log.warning(
                "the winner (%s + %s, trial %s) scored %.4f on test, below TF-IDF + logistic "
                "regression (trial %s) at %.4f: registering that instead",
                winner.embedder, winner.head, winner.trial, floor.winner_macro_f1,
                lowest.number, floor.floor_macro_f1,
            )  # fmt: skip
            best, winner, clf, evaluated, rows = lowest, floored, floor_clf, floor_eval, data.refit
        steps.done("floor")
    test = evaluated.metrics
    board = leaderboard(study)
    env_lock = log_winner(tracker, run, winner, evaluated.metrics, board)
    steps.done("log")

    def save() -> str:
        reference = drift_reference(clf, data, evaluated.proba, cache, config.seed, rows)
        return save_winner(tracker, run, clf, dataset, data, reference, env_lock)

    model_name = config.model_name or dataset.name
    registry = tracker.registry() if config.register_model else None
    registration = None
    if registry is None:
        save()
    else:
        registration = register(
            registry,
            model_name=model_name,
            config=config,
            winner=winner,
            dataset=dataset,
            data=data,
            test=test,
            predicted=[clf.labels[i] for i in evaluated.proba.argmax(axis=1)]
            if len(data.test)
            else [],
            run_id=run,
            save=save,
        )
        tracker.log_dict(run, registration.comparison.as_json(), "champion_comparison.json")
        if not registration.unchanged:
            tags = {"textops.model_version": str(registration.version)}
            tracker.set_tags(run, {**tags, "textops.alias": str(registration.alias)})
    steps.done("save")
    finished = [t for t in study.get_trials(deepcopy=False) if t.state.is_finished()]
    model_run = run if registration is None or registration.run_id is None else registration.run_id
    run_model_uri = f"runs:/{model_run}/model"
    return SearchReport(
        study=config.study_name,
        # finished ones: the portfolio's starts that no trial reached yet wait in the study
        trials=len(finished),
        trials_complete=sum(t.state.name == "COMPLETE" for t in finished),
        # failed trials (an exception in the head's fit) are logged as warnings as they happen
        trials_failed=sum(t.state.name == "FAIL" for t in finished),
        best=winner,
        test=test,
        embedders=inputs.plans,
        leaderboard=board,
        dataset=DatasetRef(dataset.name, dataset.version, dataset.fingerprint),
        tracking_uri=tracker.uri,
        run_id=run,
        model_name=model_name,
        model_uri=(
            run_model_uri
            if registration is None
            else f"models:/{model_name}/{registration.version}"
        ),
        run_model_uri=run_model_uri,
        model_version=None if registration is None else registration.version,
        alias=None if registration is None else registration.alias,
        comparison=None if registration is None else registration.comparison,
        pareto_front=pareto or None,
        seconds=round(time.time() - inputs.budget.started, 2),
        finalize_seconds=round(time.time() - began, 2),
        finalize_estimate_seconds=None if estimate is None else round(estimate, 2),
        finalize_steps=steps.seconds,
        stopped_by_budget=_stopped_by_budget(finished),
        floor=floor,
        recipes=_recipes(finished, config),
    )


def _stopped_by_budget(finished: list[FrozenTrial]) -> list[str]:
    """Why the budget stopped trials: one line per trial, except that the later draws of a
    kind (embedder + head) ruled out for the rest of the search (its epoch no longer fits)
    are one line with their count: they were skipped before anything loaded."""
    lines: list[str] = []
    skipped: dict[str, list[int]] = {}
    for t in finished:
        stopped = t.user_attrs.get("stopped")
        reason = str(t.user_attrs.get("stopped_reason", "the budget ran out"))
        if stopped == "ruled_out":
            skipped.setdefault(reason.split(":", 1)[0], []).append(t.number)
        elif stopped == "budget" or "cv_folds_run" in t.user_attrs:
            lines.append(f"trial {t.number}: {reason}")
    for kind, numbers in skipped.items():
        lines.append(
            f"{kind}: ruled out for the rest of the search; {len(numbers)} later draw(s) "
            f"(trials {numbers[0]}-{numbers[-1]}) skipped before anything loaded"
        )
    return lines


def _recipes(finished: list[FrozenTrial], config: SearchConfig) -> list[RecipeRow] | None:
    """Whether the data recipes helped: each one's best complete trial against ``none``."""
    if config.recipes == ("none",):
        return None
    done = [(t.user_attrs.get("recipe"), float(t.values[0])) for t in finished
            if t.state.name == "COMPLETE" and t.values]  # fmt: skip
    return recipe_summary(done, config.recipes)
