"""After the trials: the winner (``_winner``), trained again and scored once (``_refit``), then
published: the run's record of it, the model saved into the run and registered under the
search's gate (``textops.track.publish``), all in one call that takes data, not callbacks.

The winner's parent MLflow run gets the test metrics, the confusion matrix, the leaderboard and
the environment lock; the registry decides the version's alias.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textops._json import to_json
from textops._types import JSON
from textops.data import Dataset
from textops.embed import EmbeddingCache
from textops.model import EnsembleMethod, Trained
from textops.search._budget import Budget, ensemble_seconds, finalize_estimate
from textops.search._config import SearchConfig
from textops.search._data import SearchData
from textops.search._ensemble import EnsembleChoice, choose_ensemble, ensemble_members
from textops.search._floor import FloorCheck, floor_trial
from textops.search._plan import EmbedderPlan
from textops.search._recipes import RecipeRow, recipe_summary
from textops.search._refit import deploy_kept, refit, refit_ensemble, refit_rows, test_estimate
from textops.search._report import DatasetRef, SearchReport, TrialRow, Winner
from textops.search._scores import CVEstimate
from textops.search._trained_plan import TrainedPlan
from textops.search._trained_trial import KeptModel
from textops.search._winner import leaderboard, pick_winner, winner_of
from textops.track import (
    Gate,
    HeldOut,
    ModelRecord,
    Publication,
    RegistrationRequest,
    Scores,
    Tracker,
    publish,
    scalar_metrics,
)

if TYPE_CHECKING:
    from optuna import Study
    from optuna.trial import FrozenTrial

__all__ = ["FinalizeInputs", "finalize"]

log = logging.getLogger("textops.search")


# -- what is published ---------------------------------------------------------------------------
def winner_record(winner: Winner, test: Scores | CVEstimate, board: list[TrialRow]) -> ModelRecord:
    """The parent run's record of the winner."""
    best = {f"best.{k}": v for k, v in winner.params.items()}
    best |= {f"best.recipe.{k}": v for k, v in (winner.recipe or {}).items() if v is not None}
    files: dict[str, JSON | list[JSON]] = {"leaderboard.json": [row.__dict__ for row in board]}
    metrics = {"best_cv_macro_f1": winner.cv_macro_f1}
    if not isinstance(test, Scores):  # few labels: the repeated-CV estimate stands for a test
        values = to_json(test)
        metrics |= scalar_metrics(values, "cv_estimate")
        files["cv_estimate_metrics.json"] = values
    return ModelRecord(
        params={"best.embedder": winner.embedder, "best.head": winner.head, **best},
        scores=test if isinstance(test, Scores) else None,
        metrics=metrics,
        files=files,
    )


def registration_request(
    config: SearchConfig,
    winner: Winner,
    dataset: Dataset,
    data: SearchData,
    test: Scores | CVEstimate,
    trained: Trained,
) -> RegistrationRequest:
    """The winner's registration under the search's promotion gate: the version this study's
    trial already is, or a new one decided on the test split (the registry predicts the
    champion there). Few labels, no test split: a champion of other data is kept."""
    held_out = None
    if trained.test is not None:
        held_out = HeldOut(data.test.texts, data.test.labels, trained.test.predicted)
    return RegistrationRequest(
        name=config.model_name or dataset.name,
        identity={
            "textops.study": config.study_name,
            "textops.trial": str(winner.trial)
            if winner.members is None
            else f"{winner.head}:{','.join(map(str, winner.members))}",
            "textops.dataset_fingerprint": dataset.fingerprint,
        },
        tags={
            "textops.embedder": winner.embedder,
            "textops.head": winner.head,
            "textops.dataset": f"{dataset.name}@{dataset.version}",
            "textops.cv_macro_f1": f"{winner.cv_macro_f1:.6f}",
        },
        macro_f1=float(test.macro_f1),
        fingerprint=dataset.fingerprint,
        gate=Gate(
            mode=config.gate, test=config.gate_test, alpha=config.gate_alpha, seed=config.seed
        ),
        held_out=held_out,
    )


def _judge_ensemble(
    inputs: FinalizeInputs, winner_cv: float, winner_refit: float
) -> tuple[EnsembleChoice | None, list[FrozenTrial]]:
    """The ensemble judged by CV, with the methods whose judging and refit the time left
    holds (soft vote first: stacking refits every member once per fold); judging stops when
    what is left must go to refitting (the ensemble's or the winner's, ``winner_refit``
    seconds, the longer). Returns the choice and its member trials."""
    data, budget = inputs.data, inputs.budget
    sampled = {p.key for p in inputs.plans if p.sample is not None}
    members = ensemble_members(inputs.study, sampled)
    judge, refit, stack_extra = ensemble_seconds(members, len(data.train), len(data.refit))
    methods: list[EnsembleMethod] = []
    if budget.left() > judge + refit:
        methods.append("soft_vote")
        if budget.left() > judge + refit + stack_extra:
            methods.append("stack")
    if len(members) >= 2 and not methods:
        log.info("ensemble left out: judging and refitting it would not fit the time left")
    stop_at = None if budget.deadline is None else budget.deadline - max(refit, winner_refit)
    choice = choose_ensemble(data, inputs.cache, inputs.config, members, winner_cv, methods,
                             stop_at=stop_at)  # fmt: skip
    return choice, members


def ensemble_winner(choice: EnsembleChoice, members: list[Winner]) -> Winner:
    """The ensemble as the report's and the registry's winner: its best member's trial, its
    members' kinds as params."""
    return Winner(
        embedder="stacked",
        head=f"ensemble_{choice.method}",
        params={"members": ",".join(f"{m.embedder}+{m.head}" for m in members)},
        cv_macro_f1=choice.cv_macro_f1,
        trial=members[0].trial,
        latency_ms=None,
        members=choice.trials,
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
    budget: Budget
    cache: EmbeddingCache
    #: the best trained trial's own model, when the trials kept one
    kept: KeptModel | None = None
    trained_plan: list[TrainedPlan] = field(default_factory=list)


def _refit_or_keep(inputs: FinalizeInputs, winner: Winner) -> tuple[Trained, str | None]:
    """The winner refitted on train + validation; or, for a trained winner whose refit does
    not fit the time left, its trial's own model (and why)."""
    kept, budget = inputs.kept, inputs.budget
    args = (inputs.data, inputs.dataset, inputs.cache, inputs.config)
    if kept is not None and kept.trial == winner.trial and budget.left() < kept.refit_seconds:
        why = (
            f"the winner's own model from trial {kept.trial} (trained on the train split): a "
            f"refit on train + validation needs ~{kept.refit_seconds:.0f}s, "
            f"{max(budget.left(), 0):.0f}s were left"
        )
        log.info("deploying %s", why)
        return deploy_kept(winner, kept.exported, *args), why
    return refit(winner, *args, refit_rows(winner, inputs.data, inputs.plans)), None


def finalize(inputs: FinalizeInputs) -> SearchReport:
    config, study, dataset, data = inputs.config, inputs.study, inputs.dataset, inputs.data
    tracker, run = inputs.tracker, inputs.parent_run
    began = time.time()
    estimate = finalize_estimate(study, len(data.train), len(data.refit))
    best, pareto = pick_winner(study, config)
    winner = winner_of(best)
    steps = _Steps(began)
    ensemble: EnsembleChoice | None = None
    candidates: list[FrozenTrial] = []
    kept_why: str | None = None
    if config.ensemble and len(study.directions) == 1:
        ensemble, candidates = _judge_ensemble(inputs, winner.cv_macro_f1, estimate or 0.0)
        steps.done("ensemble")
    if ensemble is not None and ensemble.chosen:
        members = [winner_of(t) for t in candidates]
        trained = refit_ensemble(ensemble, members, data, dataset, inputs.cache, config)
        winner = ensemble_winner(ensemble, members)
    else:
        trained, kept_why = _refit_or_keep(inputs, winner)
    test = test_estimate(trained, best, data, config)
    steps.done("refit")
    lowest = floor_trial(study, best) if isinstance(test, Scores) else None
    floor = None
    if lowest is not None and isinstance(test, Scores):
        floored = winner_of(lowest)
        floor_trained = refit(floored, data, dataset, inputs.cache, config, data.refit)
        assert floor_trained.test is not None  # scored on the same test split
        floor = FloorCheck.of(lowest.number, float(test.macro_f1),
                              float(floor_trained.test.scores.macro_f1))  # fmt: skip
        if floor.chosen:
            log.warning(
                "the winner (%s + %s, trial %s) scored %.4f on test, below TF-IDF + logistic "
                "regression (trial %s) at %.4f: registering that instead",
                winner.embedder, winner.head, winner.trial, floor.winner_macro_f1,
                lowest.number, floor.floor_macro_f1,
            )  # fmt: skip
            best, winner, trained = lowest, floored, floor_trained
            test = floor_trained.test.scores
        steps.done("floor")
    board = leaderboard(study)
    request = None
    if config.register_model:
        request = registration_request(config, winner, dataset, data, test, trained)
    published = publish(
        tracker,
        Publication(
            run=run,
            record=winner_record(winner, test, board),
            classifier=trained.classifier,
            reference=trained.reference,
            example_texts=data.test.texts or data.train.texts,
            metadata={"dataset": dataset.name, "fingerprint": dataset.fingerprint},
            registration=request,
        ),
    )
    registration = published.registration
    model_name = config.model_name or dataset.name
    steps.done("save")
    finished = [t for t in study.get_trials(deepcopy=False) if t.state.is_finished()]
    run_model_uri = f"runs:/{published.model_run}/model"
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
        ensemble=ensemble,
        refit_skipped=kept_why,
        trained_plan=inputs.trained_plan,
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
