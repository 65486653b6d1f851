"""What a search plans for each embedder (:class:`EmbedderPlan`: what is cached, the encode
rate, the rows its trials see, why it was left out) and what the trials need of it
(:class:`PlanFacts`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from textops._json import OMIT
from textops.embed import EMBEDDERS, Embedder

__all__ = ["EmbedderPlan", "PlanFacts"]


@dataclass
class EmbedderPlan:
    key: str
    cached: int
    missing: int
    rate: float | None  # texts/s measured on a sample (None: not measured, nothing to encode)
    estimated_s: float
    latency_ms: float | None  # per-text encode latency, one at a time (None: not measured)
    included: bool = True
    reason: str = ""
    encode_s: float = 0.0
    #: where ``rate`` came from: "measured" now (in this search), "remembered" from earlier
    #: searches on this machine (the median of their measurements), or "" (nothing to encode,
    #: or left to the trials)
    rate_source: str = ""
    #: train rows this embedder's trials and refit use (all of them unless budget-sampled)
    rows: int | None = None
    #: the budget-sampled train rows (indices into the train split), not in the report
    sample: list[int] | None = field(default=None, repr=False, metadata=OMIT)
    #: while planning: the embedder whose cache space gets the encode, that space, the
    #: characters still to encode, and the model load still to pay (not in the report)
    embedder: Embedder | None = field(default=None, repr=False, metadata=OMIT)
    space: str = field(default="", repr=False, metadata=OMIT)
    missing_chars: int = field(default=0, repr=False, metadata=OMIT)
    load_s: float = field(default=0.0, repr=False, metadata=OMIT)
    #: measurements a remembered rate is the median of
    rate_measurements: int = field(default=0, repr=False, metadata=OMIT)

    @property
    def cost(self) -> tuple[int, float]:
        """Sort key, cheapest first: a measured latency, else the measured or remembered rate,
        else the table's cost rank (nothing measured yet on this machine)."""
        if self.latency_ms is not None:
            return (0, self.latency_ms)
        if self.rate:
            return (0, 1000.0 / self.rate)
        return (1, float(EMBEDDERS[self.key].cost_rank if self.key in EMBEDDERS else 1000))


@dataclass(frozen=True)
class PlanFacts:
    """What the trials (in every worker process) need of the plan, per embedder key."""

    latency_ms: dict[str, float | None]
    #: budget-sampled train rows
    subsets: dict[str, list[int]]
    #: measured or remembered encode rates (texts/s): a trained head's first estimate
    rates: dict[str, float]
    #: trained kinds (embedder, head) the plan ruled out, and why (``_trained_plan``)
    ruled_out: dict[tuple[str, str], str] = field(default_factory=dict)
    #: the trained kind the plan found time for: its trial runs early
    planned: tuple[str, str] | None = None
    #: whether a trained kind may run at all (then trials run one at a time)
    trained_runs: bool = True

    @classmethod
    def of(
        cls,
        plans: list[EmbedderPlan],
        *,
        ruled_out: dict[tuple[str, str], str] | None = None,
        planned: tuple[str, str] | None = None,
        trained_runs: bool = True,
    ) -> PlanFacts:
        return cls(
            latency_ms={p.key: p.latency_ms for p in plans},
            subsets={p.key: p.sample for p in plans if p.sample is not None},
            rates={p.key: p.rate for p in plans if p.rate},
            ruled_out=dict(ruled_out or {}),
            planned=planned,
            trained_runs=trained_runs,
        )
