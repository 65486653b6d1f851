"""The monitoring side of the HTTP contract: feedback in, live performance and drift out.

The responses are built from the monitor's own values (``from_attributes``); live
performance carries its :class:`textops.monitor.WindowScores` as they are."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from textops.monitor import WindowScores
from textops.serve._schemas import ModelRef, Text

__all__ = [
    "DriftResponse",
    "DriftTestResponse",
    "FeedbackItem",
    "FeedbackRequest",
    "FeedbackResponse",
    "PerformanceResponse",
]


class FeedbackItem(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    prediction_id: Text = Field(min_length=1, max_length=64)
    label: Text = Field(min_length=1, description="the true label")


class FeedbackRequest(BaseModel):
    """One item, or ``{"items": [...]}`` of them."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,  # JSON as it is: false is not 0, 2.0 is not the integer 2
        json_schema_extra={"examples": [{"prediction_id": "3f2a...", "label": "spam"}]},
    )

    prediction_id: Text | None = Field(None, min_length=1, max_length=64)
    label: Text | None = Field(None, min_length=1)
    items: list[FeedbackItem] | None = Field(None, min_length=1, max_length=10_000)
    reviewer: Text | None = Field(
        None,
        min_length=1,
        max_length=120,
        description="who reviewed these labels (admin key only): reviewed labels are the ones "
        "a retrain may score a promotion on",
    )

    @model_validator(mode="after")
    def _one_form(self) -> FeedbackRequest:
        if self.items is not None:
            if self.prediction_id is not None or self.label is not None:
                raise ValueError("send either items or prediction_id + label, not both")
        elif self.prediction_id is None or self.label is None:
            raise ValueError("send prediction_id and label (or items)")
        return self

    def pairs(self) -> list[tuple[str, str]]:
        if self.items is not None:
            return [(i.prediction_id, i.label) for i in self.items]
        assert self.prediction_id is not None and self.label is not None
        return [(self.prediction_id, self.label)]


class FeedbackResponse(BaseModel):
    accepted: int


class PerformanceResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    overall: WindowScores = Field(description="over all feedback, with prediction counts")
    windows: list[WindowScores] = Field(description="per window (a count or a duration)")
    pending_writes: int = Field(description="log records not yet in the database")
    model: ModelRef | None = Field(None, description="the model (version) these figures are of")


class DriftTestResponse(BaseModel):
    """One drift test: its statistics (which depend on the test), ``drifted``, and each
    statistic beside its alert threshold."""

    model_config = ConfigDict(from_attributes=True)

    drifted: bool
    summary: str = Field(description="every statistic with its alert threshold")
    fired_by: str | None = Field(None, description="the statistics over their threshold")
    psi: float | None = Field(None, description="predicted-label mix: population stability")
    chi2_p_value: float | None = None
    reference: dict[str, int] | None = Field(None, description="label counts in training")
    current: dict[str, int] | None = Field(None, description="label counts served")
    ks_statistic: float | None = Field(None, description="text length / OOV rate: KS test")
    p_value: float | None = None
    reference_mean: float | None = None
    current_mean: float | None = None
    domain_auc: float | None = Field(None, description="embeddings: a domain classifier's AUC")
    n_each: int | None = None
    note: str | None = None


class DriftThresholdsResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    psi: float
    p_value: float
    auc: float
    auc_p_value: float
    min_current: int


class DriftResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    drift: bool = Field(description="True when any test is over its threshold")
    tests: dict[str, DriftTestResponse] = Field(
        description="per test: its score (psi / ks_statistic / domain_auc), p-value, drifted"
    )
    n_current: int | None = None
    note: str | None = None
    thresholds: DriftThresholdsResponse | None = None
    model: ModelRef | None = None
    computed_at: float | None = None
