"""What the dashboard's generator view reads: the served generator's latest ``gen eval`` sweep
(scores and example texts per decoding setting) and its live generation counters."""

from __future__ import annotations

import math

from pydantic import BaseModel, Field


class SweepSetting(BaseModel):
    setting: str = Field(description="the decoding setting, e.g. t=0.8,p=0.95,k=40")
    temperature: float
    top_p: float
    n: int = Field(description="texts scored")
    diversity: float | None = Field(description="1 - mean pairwise cosine of the embeddings")
    distinct_2: float
    self_bleu: float | None
    quality: float | None = Field(description="mean of the acceptable and non-negative shares")
    perplexity: float | None
    copies: float | None = Field(description="share of exact copies of training texts")
    examples: list[str] = Field(description="a few of the setting's texts")


class Sweep(BaseModel):
    run_id: str | None = Field(description="the MLflow run of the `gen eval` it comes from")
    generator_uri: str | None = Field(description="the generator the texts were sampled from")
    embedder: str
    best: str | None
    best_reason: str
    settings: list[SweepSetting]


class GeneratorOverview(BaseModel):
    model: str
    sweep: Sweep | None = Field(description="the latest `gen eval` logged for this generator")
    note: str = Field(description="why there is no sweep, and how to make one")
    requests: float = Field(description="/v1/generate requests answered since the start")
    seconds: float = Field(description="seconds spent generating them")
    tokens: float = Field(description="new tokens they produced")


def finite(value: float | None) -> float | None:
    """JSON has no NaN: a score that could not be computed (one text, no pairs) is null."""
    return None if value is None or math.isnan(value) else value
