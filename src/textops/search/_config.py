"""The frozen configuration of one search (logged whole to the parent MLflow run)."""

from __future__ import annotations

import hashlib
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from textops._types import JSON

__all__ = [
    "DEFAULT_EMBEDDERS",
    "DEFAULT_HEADS",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TRIALS",
    "FEW_LABEL_HEADS",
    "TIMED_HEADS",
    "SearchConfig",
]

#: trials when a search gives no --trials (and no --timeout, or both defaults apply)
DEFAULT_TRIALS = 30
#: seconds when a search gives neither --trials nor --timeout: every default embedder,
#: mpnet and e5 included, would otherwise be encoded however long that takes
DEFAULT_TIMEOUT = 600.0
#: median labelled rows per label below which a search pools every labelled row (few labels)
FEW_LABELS = 100
#: trials of a search bounded by --timeout only: it runs until its budget is spent
UNBOUNDED_TRIALS = 100_000

DEFAULT_HEADS = ("logreg", "linear_svm", "knn", "mlp", "lightgbm", "ebm")
#: the default heads of a search with a time budget: a MiniLM fine-tune joins them, run only
#: when the plan finds time for it (``_trained_plan``)
TIMED_HEADS = (*DEFAULT_HEADS, "finetune")
#: the heads a few-labels search takes unless --heads names others: SetFit's recipe (a logistic
#: regression on sentence embeddings, and the contrastively trained encoder under one). With a
#: few dozen rows, CV scores of flexible heads (k neighbours, boosting) are noisy enough that the
#: best of them is mostly the luckiest: bench/selection.py measures it
FEW_LABEL_HEADS = ("logreg", "setfit")
DEFAULT_EMBEDDERS = (
    "minilm",
    "mpnet",
    "e5",
    "static",
    "tfidf",
    "tfidf_char",
    "tfidf_wc",
    "tfidf_minilm",
    "linguistic",
)


class SearchConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    dataset: str = Field(description="the dataset's name (see `textops data list`)")
    dataset_version: str | None = Field(None, description="its version (default: the latest)")
    embedders: tuple[str, ...] = Field(
        DEFAULT_EMBEDDERS,
        min_length=1,
        description="embedder keys, comma-separated (on data mostly in another language than "
        "English the default keeps the ones that read it)",
    )
    heads: tuple[str, ...] | None = Field(
        None,
        min_length=1,
        description="head keys, comma-separated (default: "
        f"{','.join(DEFAULT_HEADS)}, and finetune under a time budget when it fits; with few "
        f"labels, under {FEW_LABELS} per label: {','.join(FEW_LABEL_HEADS)})",
    )
    trials: int | None = Field(
        None,
        ge=1,
        description="total trials of the study (finished ones count); alone, it bounds the "
        "search: only the embedders its trials reach are encoded. With a timeout only, trials "
        f"run until the budget is spent; with neither given, {DEFAULT_TRIALS}",
    )
    timeout: float | None = Field(
        None,
        gt=0,
        description="seconds for encoding, trials and finalising; encodes that cannot fit are "
        "skipped (rates measured on this machine are remembered). With neither trials nor "
        f"timeout given, {DEFAULT_TIMEOUT:.0f}",
    )
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="processes sharing the study (each runs one trial per CPU it has, in threads)",
    )
    storage: str | None = Field(
        None,
        description="Optuna storage: an RDB URL (postgresql+psycopg://...) or journal:PATH "
        "(default: a journal file in the textops home)",
    )
    study: str | None = Field(
        None,
        description="study name (default: one per dataset version and search space, so running "
        "the same search again resumes it)",
    )
    objective: Literal["f1", "f1-latency"] = Field(
        "f1",
        description="what the search maximises: f1 (macro-F1), or f1-latency (the "
        "Pareto front of macro-F1 vs latency)",
    )
    max_latency_ms: float | None = Field(
        None, gt=0, description="with f1-latency: the winner is the best front trial under this"
    )
    cv_folds: int = Field(5, ge=2, le=20, description="stratified CV folds")
    seed: int = Field(0, description="seed of the sampler, the folds and the heads")
    model_name: str | None = Field(
        None, description="registered model name (default: the dataset's)"
    )
    tracking_uri: str | None = Field(
        None,
        description="MLflow tracking URI (default: $MLFLOW_TRACKING_URI or sqlite in the home)",
    )
    register_model: bool = Field(True, description="register the winner in the MLflow registry")
    ensemble: bool = Field(
        True,
        description="after the trials, try the best trials of up to 3 embedders as one "
        "soft-voted or stacked model, judged by the same CV folds; kept only when it beats "
        "each of them",
    )
    gate: Literal["none", "better", "significant"] = Field(
        "better",
        description="when the winner replaces the champion: none (always), better (a higher "
        "test macro-F1), significant (a one-sided paired test on the test split at gate_alpha)",
    )
    gate_test: Literal["mcnemar", "bootstrap"] = Field(
        "mcnemar", description="the paired test of gate significant: mcnemar or bootstrap"
    )
    gate_alpha: float = Field(
        0.05, gt=0, lt=1, description="significance level of gate significant"
    )
    head_options: dict[str, str | int | float | None] = Field(
        default_factory=dict,
        description="parameters fixed for every head that takes them, e.g. model=PATH: the "
        "local encoder folder the trained heads (finetune, setfit, bilstm) start from",
    )
    few_labels: int = Field(
        FEW_LABELS,
        ge=0,
        description="below this median of labelled rows per label, every labelled row is "
        "pooled: the search chooses and estimates by repeated stratified CV (with its interval) "
        "and refits the winner on all rows; 0: keep the splits whatever their size",
    )
    cv_repeats: int = Field(
        3, ge=1, le=20, description="rounds of CV folds in the pooled few-labels mode"
    )
    #: resolved by the search from the data (few labels): part of the study's identity
    pooled: bool = False
    device: str = Field(
        "auto", description="where trained heads train: auto (CUDA when present), cpu, cuda"
    )
    recipes: tuple[Literal["none", "augment", "llm"], ...] = Field(
        ("none",),
        description="data recipes searched with their mix ratio: none, augment (EDA variants "
        "of the training rows), llm (the dataset's LLM-written rows, see `textops data synth`); "
        "extra rows go into training folds only",
    )

    @property
    def trial_limit(self) -> int:
        """The trials a search runs: ``trials`` as given; else, under a timeout, until the
        budget is spent; else the default. A search always has a bound."""
        if self.trials is not None:
            return self.trials
        return UNBOUNDED_TRIALS if self.timeout is not None else DEFAULT_TRIALS

    @property
    def time_limit(self) -> float | None:
        """The search's seconds: ``timeout`` as given; with neither bound given, the default
        (every default embedder would otherwise be encoded however long that takes)."""
        if self.timeout is None and self.trials is None:
            return DEFAULT_TIMEOUT
        return self.timeout

    @property
    def head_keys(self) -> tuple[str, ...]:
        """The heads this search runs (the defaults for its data when none were given)."""
        if self.heads is not None:
            return self.heads
        if self.pooled:
            return FEW_LABEL_HEADS
        return DEFAULT_HEADS if self.time_limit is None else TIMED_HEADS

    def space(self) -> JSON:
        """What makes two searches' trials comparable: the data (the version, once resolved)
        and the search space. A study holds trials of one space only."""
        return {
            "dataset": self.dataset,
            "dataset_version": self.dataset_version,
            "embedders": sorted(self.embedders),
            "heads": sorted(self.head_keys),
            "objective": self.objective,
            "cv_folds": self.cv_folds,
            "seed": self.seed,
            # only when given: studies of searches without options keep their names
            **({"head_options": self.head_options} if self.head_options else {}),
            **({"pooled": True, "cv_repeats": self.cv_repeats} if self.pooled else {}),
            **({"recipes": sorted(self.recipes)} if self.recipes != ("none",) else {}),
        }

    @property
    def study_name(self) -> str:
        """``--study``, or one name per search space: a search with other embedders, heads or
        data starts its own study instead of resuming another's."""
        if self.study:
            return self.study
        digest = hashlib.sha256(json.dumps(self.space(), sort_keys=True).encode()).hexdigest()
        return f"{self.dataset}-{self.objective}-{digest[:8]}"
