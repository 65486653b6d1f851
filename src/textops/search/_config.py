"""The frozen configuration of one search (logged whole to the parent MLflow run)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["DEFAULT_EMBEDDERS", "SearchConfig"]

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

    dataset: str
    dataset_version: str | None = None
    embedders: tuple[str, ...] = DEFAULT_EMBEDDERS
    heads: tuple[str, ...] = ("logreg", "linear_svm", "knn", "mlp", "lightgbm", "ebm")
    trials: int = Field(30, ge=1, description="total trials of the study (finished ones count)")
    timeout: float | None = Field(None, gt=0, description="seconds for encoding + trials")
    workers: int = Field(1, ge=1, le=64)
    storage: str | None = Field(None, description="Optuna storage URL (default: journal file)")
    study: str | None = None
    objective: Literal["f1", "f1-latency"] = "f1"
    max_latency_ms: float | None = Field(None, gt=0)
    cv_folds: int = Field(5, ge=2, le=20)
    seed: int = 0
    model_name: str | None = None
    tracking_uri: str | None = None
    register_model: bool = Field(True, description="register the winner in the MLflow registry")

    @model_validator(mode="after")
    def _check(self) -> SearchConfig:
        if not self.embedders or not self.heads:
            raise ValueError("at least one embedder and one head are needed")
        return self

    @property
    def study_name(self) -> str:
        return self.study or f"{self.dataset}-{self.objective}"
