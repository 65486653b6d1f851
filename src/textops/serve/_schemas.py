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
)

from textops._text import lone_surrogate
from textops._types import JSON

__all__ = [
    "ERRORS",
    "ErrorResponse",
    "ExplainRequest",
    "ExplainResponse",
    "FieldError",
    "GenerateRequest",
    "GenerateResponse",
    "HealthResponse",
    "ModelInfo",
    "ModelRef",
    "PredictRequest",
    "PredictResponse",
    "Prediction",
    "ReloadResponse",
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
    top_k: int = Field(0, ge=0, le=100_000, description="sample from the k most likely tokens "
                       "(0: no limit)")  # fmt: skip
    repetition_penalty: float = Field(
        1.0, ge=1, le=10, description="above 1, tokens already written are made less likely"
    )
    no_repeat_ngram_size: int = Field(
        0, ge=0, le=64, description="no n-gram of this size twice in a text (0: off)"
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
    top_k: int = 0
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
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
