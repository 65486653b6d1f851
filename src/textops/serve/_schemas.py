"""Request and response models: the HTTP contract, and the source of the OpenAPI spec."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictStr,
    StringConstraints,
    field_validator,
    model_validator,
)

from textops._text import lone_surrogate
from textops._types import JSON

__all__ = [
    "ERRORS",
    "DriftResponse",
    "ErrorResponse",
    "ExplainRequest",
    "ExplainResponse",
    "FeedbackItem",
    "FeedbackRequest",
    "FeedbackResponse",
    "FieldError",
    "GenerateRequest",
    "GenerateResponse",
    "HealthResponse",
    "ModelInfo",
    "ModelRef",
    "PerformanceResponse",
    "PredictRequest",
    "PredictResponse",
    "Prediction",
    "ReloadResponse",
    "WindowPerformance",
]


#: the smallest sampling temperature (0 itself is greedy decoding)
MIN_TEMPERATURE = 0.01


def _valid_unicode(value: str) -> str:
    """JSON can carry a lone surrogate (``"\\ud800"``) that no UTF-8 text holds: a 422 naming
    the field, not a 500 where the text is hashed or stored."""
    cp = lone_surrogate(value)
    if cp is not None:
        raise ValueError(
            f"contains a lone surrogate U+{cp:04X} (half of a UTF-16 pair), which is not "
            "valid Unicode; send UTF-8 text"
        )
    return value


#: a JSON string that is valid Unicode text
Text = Annotated[StrictStr, AfterValidator(_valid_unicode)]
#: a text to predict or explain: not empty, not only whitespace (it would get a prediction
#: of nothing, and be logged as one)
NonBlankText = Annotated[
    StrictStr,
    StringConstraints(pattern=r"\S"),
    AfterValidator(_valid_unicode),
]


class PredictRequest(BaseModel):
    """Texts to classify, answered in the same order."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,  # JSON as it is: false is not 0, 2.0 is not the integer 2
        json_schema_extra={"examples": [{"texts": ["WINNER!! Claim your prize now", "see you"]}]},
    )

    texts: list[NonBlankText] = Field(
        min_length=1, description="one or more texts, none empty or only whitespace"
    )


class ModelRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str | None = Field(description="registered model name (None for a run URI)")
    version: str | None = Field(description="registered version that answered")


class Prediction(BaseModel):
    prediction_id: str = Field(description="unique id; send it back with feedback")
    label: str
    probabilities: dict[str, float] = Field(description="probability per class label")


class PredictResponse(BaseModel):
    model: ModelRef
    predictions: list[Prediction]


class ExplainRequest(BaseModel):
    """Texts whose words to score toward the predicted label (or ``label``)."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,  # JSON as it is: false is not 0, 2.0 is not the integer 2
        json_schema_extra={"examples": [{"texts": ["WINNER!! Claim your prize now"]}]},
    )

    texts: list[NonBlankText] = Field(
        min_length=1, description="one or more texts, none empty or only whitespace"
    )
    method: Literal["auto", "occlusion", "linear", "ig", "shap"] = Field(
        "auto",
        description="auto: linear when exact (linear head on word TF-IDF), else occlusion "
        "(one batched model call per text)",
    )
    label: Text | None = Field(None, description="explain this label (default: the predicted)")


class WordScore(BaseModel):
    word: str
    start: int = Field(description="character offset of the word in the text")
    end: int
    score: float = Field(description="support for the label (negative: against it)")


class Explanation(BaseModel):
    text: str
    label: str = Field(description="the label explained")
    probability: float = Field(description="the model's probability of that label")
    predicted: str
    method: str
    words: list[WordScore]


class ExplainResponse(BaseModel):
    model: ModelRef
    explanations: list[Explanation]


class GenerateRequest(BaseModel):
    """Prompts for a served generator, each continued ``n`` times."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,  # JSON as it is: false is not 0, 2.0 is not the integer 2
        json_schema_extra={"examples": [{"prompts": ["Овен"], "temperature": 0.8, "n": 2}]},
    )

    prompts: list[Text] = Field(min_length=1, description="one or more prompts ('' for none)")
    n: int = Field(1, ge=1, le=16, description="texts per prompt")
    temperature: float | None = Field(
        None,
        ge=0,
        le=5,
        description="0: greedy decoding (the most likely token each step); else sampling at "
        f"{MIN_TEMPERATURE} to 5 (default: the model's)",
    )
    top_p: float | None = Field(None, gt=0, le=1, description="default: the model's")
    max_new_tokens: int | None = Field(
        None, ge=1, description="tokens per text, up to the server's --max-new-tokens"
    )
    seed: int | None = Field(None, ge=0, le=2**31 - 1, description="the same seed, the same texts")
    num_beams: int = Field(
        1,
        ge=1,
        le=8,
        description="beam search: candidate texts kept each step, the most likely returned "
        "(with temperature 0 the n texts of a prompt are the same)",
    )

    @field_validator("temperature")
    @classmethod
    def _usable_temperature(cls, t: float | None) -> float | None:
        if t is not None and 0 < t < MIN_TEMPERATURE:
            # dividing the scores by a tiny temperature overflows them: inf, then nan
            raise ValueError(f"use 0 for greedy decoding, or {MIN_TEMPERATURE} to 5 (got {t:g})")
        return t


class Generated(BaseModel):
    prompt: str
    texts: list[str]


class GenerateResponse(BaseModel):
    model: ModelRef
    temperature: float
    top_p: float
    max_new_tokens: int
    seed: int
    num_beams: int = 1
    generations: list[Generated]


class ModelInfo(BaseModel):
    kind: str = Field("classifier", description="classifier or generator")
    name: str | None
    version: str | None
    alias: str | None
    uri: str = Field(description="the URI the server follows")
    run_id: str | None
    labels: list[str]
    embedder: str
    head: str
    backend: str = Field(description="what runs the encoder: torch, onnx, static, ...")
    test_metrics: dict[str, float]
    cv_estimate: dict[str, float] = Field(
        default_factory=dict,
        description="a few-labels model (no rows held out to test): its repeated "
        "cross-validation estimate, e.g. macro_f1",
    )
    dataset_fingerprint: str | None
    env: JSON = Field(description="environment lock summary and its check here")
    loaded_at: float = Field(description="unix time the model was loaded")


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


class WindowPerformance(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    n_feedback: int
    accuracy: float | None
    macro_f1: float | None
    per_class_recall: dict[str, float]
    label_coverage: float
    window: str | None = None
    kind: str | None = None
    n_predictions: int | None = None
    feedback_rate: float | None = None


class PerformanceResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    overall: WindowPerformance
    windows: list[WindowPerformance]
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


class HealthResponse(BaseModel):
    status: str
    model: ModelRef | None = None
    detail: str | None = None


class ReloadResponse(BaseModel):
    swapped: bool
    model: ModelRef
    detail: str
    #: the other served models, reloaded too
    others: list[ReloadResponse] = Field(default_factory=list)


class FieldError(BaseModel):
    field: str
    message: str


class ErrorResponse(BaseModel):
    error: str = Field(description="what went wrong and what to do")
    detail: list[FieldError] | None = None


_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}

#: the error answers every /v1 route may give (the OpenAPI document lists them)
ERRORS: dict[int | str, JSON] = {
    code: {"model": ErrorResponse, "description": text}
    for code, text in [
        (400, "malformed JSON, a Host name the service does not answer to, a bad option"),
        (401, "missing or wrong x-api-key"),
        (404, "a model this service does not serve (/v1/models/NAME), or an unknown id"),
        (413, "over a configured limit"),
        (415, "the body is not JSON (send Content-Type: application/json)"),
        (409, "the served model does not do this (a generator has no labels)"),
        (422, "a field is invalid; `detail` names it"),
        (503, "no model loaded yet, or over --max-pending requests in progress (Retry-After)"),
    ]
}
ERRORS[503] = {**ERRORS[503], "headers": _RETRY_AFTER}


class RetrainRunResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    reason: str
    started: float
    finished: float | None = None
    returncode: int | None = None
    error: str | None = Field(None, description="the last line the retrain wrote on failing")


class RetrainResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: Literal["started", "queued", "already_queued", "none"] = Field(
        description="what this request did: started a retrain, queued one behind the running "
        "one, found one queued already, or none (a status read)"
    )
    running: bool
    queued: bool
    runs: list[RetrainRunResponse] = Field(
        description="retrains this service started: reason, times, exit code"
    )
