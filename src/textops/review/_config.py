"""The settings of an audit and of a review queue: one frozen config each, from which the
CLI's options and their help are generated."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["STRATEGIES", "AuditConfig", "ReviewConfig"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")

#: how a review queue ranks predictions (``ReviewConfig.strategy``)
STRATEGIES = ("uncertainty", "disagreement", "novelty", "mixed")


class AuditConfig(BaseModel):
    """``textops data audit``: which rows, which out-of-fold probabilities, which filter."""

    model_config = _FROZEN
    dataset: str
    version: str | None = Field(None, description="the dataset version (default: the latest)")
    split: Literal["train", "validation", "test"] | None = Field(
        None, description="audit one split only (default: every row)"
    )
    embedder: str | None = Field(
        None,
        description="the features of the out-of-fold head, an embedder key (default: "
        "tfidf_minilm for English, tfidf otherwise; ignored with --model)",
    )
    from_model: str | None = Field(
        None,
        description="a registered model (models:/NAME@champion) whose embedder and head, "
        "refitted per fold, give the out-of-fold probabilities",
    )
    filter_by: Literal[
        "prune_by_noise_rate", "prune_by_class", "both", "confident_learning",
        "predicted_neq_given",
    ] = Field(
        "both",
        description="cleanlab's rule for counting a label issue (both: a row pruned by its "
        "class's noise rate and by its class's count; bench/audit.py compares them)",
    )  # fmt: skip
    folds: int = Field(5, ge=2, le=20, description="cross-validation folds")
    seed: int = Field(0, description="the folds' shuffle seed")


class ReviewConfig(BaseModel):
    """``textops review``: which served predictions a person should label first."""

    model_config = _FROZEN
    uri: str = Field(description="the served model, e.g. models:/tickets@champion")
    n: int = Field(50, ge=1, le=1000, description="how many predictions to queue")
    strategy: Literal["uncertainty", "disagreement", "novelty", "mixed"] = Field(
        "mixed",
        description="what makes a prediction worth a label: uncertainty (low margin between "
        "the top two labels), disagreement (the challenger predicts otherwise), novelty (far "
        "from the training texts), mixed (uncertainty and disagreement, their ranks averaged)",
    )
    pool: int = Field(
        2000, ge=10, le=200_000, description="the newest unlabelled predictions ranked"
    )
    spread: Literal["copies", "clusters", "none"] = Field(
        "copies",
        description="keep the queue from repeating one text: copies (near-copies of a "
        "better candidate dropped), clusters (also one per cluster of similar texts), none",
    )
