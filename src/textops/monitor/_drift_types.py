"""What a drift check finds, as values: one test's statistics, a whole report, an alert.

Each test kind keeps the statistics its reader needs (a label-mix test its PSI and both
mixes; a distribution test its KS statistic and means; the embedding test its domain AUC),
with what every test has: ``drifted``, ``summary`` (each statistic beside its alert
threshold) and ``fired_by`` (the statistics over it). ``as_json`` gives the shape
``/v1/monitor/drift``, the webhook and ``monitor report --json`` have always had.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from textops._types import JSON

__all__ = [
    "DistributionTest",
    "DomainTest",
    "DriftAlert",
    "DriftReport",
    "DriftTest",
    "DriftThresholds",
    "LabelMixTest",
    "ReportedModel",
]


@dataclass(frozen=True)
class DriftThresholds:
    psi: float = 0.2  # > 0.2: a significant shift of the predicted-label mix (common practice)
    p_value: float = 0.01  # chi-square and KS tests
    auc: float = 0.7  # domain classifier: current vs reference separable
    auc_p_value: float = 0.05
    min_current: int = 30  # fewer current rows: not enough to judge


def _without_none(obj: object, keep: tuple[str, ...] = ()) -> JSON:
    out = dataclasses.asdict(obj)  # type: ignore[call-overload]
    return {k: v for k, v in out.items() if v is not None or k in keep}


@dataclass(frozen=True)
class _Test:
    drifted: bool
    summary: str
    fired_by: str | None

    def as_json(self) -> JSON:
        return _without_none(self, keep=("fired_by",))


@dataclass(frozen=True)
class LabelMixTest(_Test):
    """The served predicted-label mix against the reference's: PSI and a chi-square test."""

    psi: float
    chi2_p_value: float
    reference: dict[str, int]
    current: dict[str, int]
    note: str | None = None

    @property
    def score(self) -> float:
        return self.psi


@dataclass(frozen=True)
class DistributionTest(_Test):
    """A per-text number (length, out-of-vocabulary rate) against the reference's: KS."""

    ks_statistic: float
    p_value: float
    reference_mean: float
    current_mean: float

    @property
    def score(self) -> float:
        return self.ks_statistic


@dataclass(frozen=True)
class DomainTest(_Test):
    """Can a classifier tell current embeddings from reference ones (ROC-AUC, permutation p)."""

    domain_auc: float
    p_value: float
    n_each: int

    @property
    def score(self) -> float:
        return self.domain_auc


#: each kind's ``score`` is its headline statistic (what /metrics publishes as the drift score)
DriftTest = LabelMixTest | DistributionTest | DomainTest


@dataclass(frozen=True)
class ReportedModel:
    name: str | None
    version: str | None


@dataclass(frozen=True)
class DriftReport:
    """One drift check: a test per section; ``drift`` when any of them drifted."""

    drift: bool
    n_current: int
    thresholds: DriftThresholds
    tests: dict[str, DriftTest] = field(default_factory=dict)
    note: str | None = None
    model: ReportedModel | None = None
    computed_at: float | None = None

    @property
    def drifting(self) -> list[str]:
        return [name for name, t in self.tests.items() if t.drifted]

    def as_json(self) -> JSON:
        out: JSON = {
            "n_current": self.n_current,
            "thresholds": dataclasses.asdict(self.thresholds),
            "tests": {name: t.as_json() for name, t in self.tests.items()},
            "drift": self.drift,
        }
        if self.note is not None:
            out["note"] = self.note
        if self.model is not None:
            out["model"] = dataclasses.asdict(self.model)
        if self.computed_at is not None:
            out["computed_at"] = self.computed_at
        return out


@dataclass(frozen=True)
class DriftAlert:
    """Tests that crossed their threshold since the last check (what the webhook receives)."""

    tests: list[str]
    model: ReportedModel | None
    scores: dict[str, DriftTest]
    at: float | None

    def as_json(self) -> JSON:
        return {
            "event": "textops.drift",
            "tests": self.tests,
            "model": None if self.model is None else dataclasses.asdict(self.model),
            "scores": {n: t.as_json() for n, t in self.scores.items()},
            "at": self.at,
        }
