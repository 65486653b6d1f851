"""What a search returns: :class:`SearchReport`, and the trial rows of its leaderboard.

``textops.to_json(report)`` is what ``textops search --json`` prints (the keys are a contract).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textops._json import OMIT_NONE, drop
from textops._types import JSON
from textops.search._ensemble import EnsembleChoice
from textops.search._floor import FloorCheck
from textops.search._plan import EmbedderPlan
from textops.search._recipes import RecipeRow
from textops.search._scores import CVEstimate
from textops.search._trained_plan import TrainedPlan

if TYPE_CHECKING:
    from optuna.trial import FrozenTrial

    from textops.track import Comparison, Scores

__all__ = ["DatasetRef", "SearchReport", "TrialRow"]


@dataclass(frozen=True)
class TrialRow:
    """One trial as the leaderboard (and the Pareto front) shows it."""

    trial: int
    state: str
    embedder: str | None
    head: str | None
    params: JSON
    cv_macro_f1: float | None
    latency_ms: float | None
    #: the data recipe it trained with, when the search has a recipes axis
    recipe: JSON | None = None

    @classmethod
    def of(cls, t: FrozenTrial) -> TrialRow:
        values = t.values or ([t.value] if t.value is not None else [])
        return cls(
            trial=t.number,
            state=t.state.name,
            embedder=t.user_attrs.get("embedder"),
            head=t.user_attrs.get("head"),
            params=dict(t.user_attrs.get("params", {})),
            cv_macro_f1=values[0] if values else None,
            latency_ms=t.user_attrs.get("latency_ms"),
            recipe=t.user_attrs.get("recipe"),
        )


@dataclass(frozen=True)
class Winner:
    embedder: str
    head: str
    params: JSON
    cv_macro_f1: float
    trial: int
    latency_ms: float | None
    #: the data recipe it trained with (name, mix, strength); None: the search had none
    recipe: JSON | None = None
    #: an ensemble's member trials (best first); None: a single trial won
    members: tuple[int, ...] | None = None


@dataclass(frozen=True)
class DatasetRef:
    name: str
    version: str
    fingerprint: str


@dataclass(frozen=True)
class SearchReport:
    """A finished search: its winner, how the winner scored on test (touched once), the
    leaderboard, the embedder plan, and where the model went (run and registry)."""

    study: str
    trials: int
    trials_complete: int
    trials_failed: int
    best: Winner
    #: ``textops.track.evaluate`` on the test split, with ``latency_ms_per_text`` of the
    #: uncached model; with few labels (no test split) the repeated-CV estimate
    test: Scores | CVEstimate = field(metadata=drop("confusion_matrix"))  # the run has it
    embedders: list[EmbedderPlan]
    leaderboard: list[TrialRow]
    dataset: DatasetRef
    tracking_uri: str
    run_id: str
    model_name: str
    #: the registered version's URI (models:/NAME/V), or the run's when nothing was registered
    model_uri: str
    run_model_uri: str
    model_version: int | None = None
    alias: str | None = None
    #: why the alias (champion / challenger / unchanged), when the winner was registered
    comparison: Comparison | None = field(default=None, metadata=OMIT_NONE)
    pareto_front: list[TrialRow] | None = field(default=None, metadata=OMIT_NONE)
    seconds: float = 0.0
    finalize_seconds: float = 0.0
    finalize_estimate_seconds: float | None = None
    #: where finalising went, in seconds: ensemble (judging it by CV), refit (with the test
    #: score and the drift reference), floor (the TF-IDF + LR check) and save (the run's
    #: record, the saved model, the registry)
    finalize_steps: dict[str, float] = field(default_factory=dict)
    #: trials the budget stopped (never started, or pruned before they could finish), and why
    stopped_by_budget: list[str] = field(default_factory=list)
    #: with data recipes searched: per recipe, its best CV macro-F1 and the gain over none
    recipes: list[RecipeRow] | None = field(default=None, metadata=OMIT_NONE)
    #: the winner against the TF-IDF + LR floor on test, when another kind won (see _floor)
    floor: FloorCheck | None = field(default=None, metadata=OMIT_NONE)
    #: the ensemble of the best trials of different embedders, as CV judged it (see _ensemble)
    ensemble: EnsembleChoice | None = field(default=None, metadata=OMIT_NONE)
    #: a trained winner deployed as its trial trained it (no refit on train + validation),
    #: and why
    refit_skipped: str | None = field(default=None, metadata=OMIT_NONE)
    #: the plan of each trained kind (embedder + head): planned, ruled out, and why
    trained_plan: list[TrainedPlan] = field(default_factory=list)
