"""Time for a fine-tune, found before the frozen embedders' encodes spend the budget.

A search with a time budget and the default heads may fine-tune MiniLM end to end. Left to
the sampler, a fine-tune came after the frozen trials and their encodes, when the time left
no longer held one epoch; on TREC at 240 s that lost 1.5 points to `textops finetune` run
alone (bench/oracle.py). So the plan decides up front, from the encode rate it measured:

* a trained kind (embedder + head) whose epochs and deployment fit in ``SHARE`` of the
  budget is **planned**: encoding holds its seconds back, its trial runs first after the two
  cheapest frozen starts, and its own model is deployed when a refit would not fit
  (``KeptModel``);
* a kind the defaults brought that does not fit is **ruled out** before anything loads, and
  the frozen trials keep running two at a time; a trained head named with ``--heads`` keeps
  its chance to run when time allows, as before.

``SHARE``: in bench/oracle.py a fine-tune that finished inside the budget beat every frozen
approach (TREC at 240 s: its training and refit took 137 s, 0.57 of it), and none that
needed more did; the search needs the rest for its frozen trials and the TF-IDF floor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textops.embed import EmbeddingCache
from textops.model import HEADS, build_head
from textops.search._budget import MODEL_LOAD_S
from textops.search._embedder_plan import EmbedderPlan
from textops.search._trained_trial import SAVE_SECONDS, TRAINING_COST

__all__ = ["SHARE", "TrainedPlan", "TrainedPlanner", "plan_trained"]

#: the largest share of the budget a planned fine-tune's estimate may take
SHARE = 0.6


@dataclass(frozen=True)
class TrainedPlan:
    """One trained kind's plan: its estimated seconds (training for its default epochs, then
    deploying its own model), whether it is planned, and why (not)."""

    embedder: str
    head: str
    seconds: float | None
    planned: bool
    reason: str
    #: whether trials may still draw it (a kind the user named; not one the plan ruled out)
    may_run: bool


def _estimate(head: str, n_train: int, n_deploy: int, rate: float) -> float:
    """Seconds for the head's default epochs on ``n_train`` texts, then encoding ``n_deploy``
    texts with the trained encoder and saving it, from the frozen encode rate."""
    est = build_head(head, {}, seed=0)
    epochs = int(est.get_params().get("epochs", 1))
    epoch = TRAINING_COST * float(est.encoder_passes(n_train)) / rate
    return MODEL_LOAD_S + epochs * epoch + n_deploy / rate + SAVE_SECONDS


def plan_trained(
    kinds: list[tuple[str, str]],
    rates: dict[str, float],
    *,
    n_train: int,
    n_deploy: int,
    budget_s: float | None,
    named: bool,
) -> list[TrainedPlan]:
    """The plan of each trained kind: the cheapest that fits ``SHARE`` of ``budget_s`` is
    planned (one: they would share the cores); ``named``: the trained heads were named by the
    user (the others stay drawable), else they came with the defaults (the others are ruled
    out). ``rates``: encode rates (texts/s) by embedder key."""
    if budget_s is None:
        return [TrainedPlan(ek, hk, None, False, "no time budget", named) for ek, hk in kinds]
    out: list[TrainedPlan] = []
    costed = []
    for ek, hk in kinds:
        rate = rates.get(ek)
        if not rate or not HEADS[hk].installed:
            why = f"no encode rate known for {ek}" if HEADS[hk].installed else "not installed"
            out.append(TrainedPlan(ek, hk, None, False, why, may_run=named))
        else:
            costed.append((_estimate(hk, n_train, n_deploy, rate), ek, hk))
    chosen = False
    for seconds, ek, hk in sorted(costed):
        fits = seconds <= SHARE * budget_s
        share = f"~{seconds:.0f}s of the {budget_s:.0f}s budget"
        if fits and not chosen:
            chosen = True
            out.append(TrainedPlan(ek, hk, seconds, True, f"planned: {share}", may_run=True))
        elif fits:
            why = "another fine-tune is planned"
            out.append(TrainedPlan(ek, hk, seconds, False, why, may_run=named))
        else:
            why = f"its epochs and deployment need {share}, over {SHARE:.0%} of it"
            out.append(TrainedPlan(ek, hk, seconds, False, why, may_run=named))
    return out


@dataclass
class TrainedPlanner:
    """:func:`plan_trained` as the embedder plan calls it once the encode rates are known
    (``plan_embedders(hold=...)``): returns the seconds encoding must leave alone, and keeps
    the plans. An embedder whose texts are all cached has no rate measured now: the one this
    machine remembers stands in."""

    kinds: list[tuple[str, str]]
    cache: EmbeddingCache
    n_train: int
    n_deploy: int
    budget_s: float | None
    named: bool
    plans: list[TrainedPlan] = field(default_factory=list)

    def __call__(self, embedders: list[EmbedderPlan]) -> float:
        rates: dict[str, float] = {}
        for p in embedders:
            remembered = self.cache.rates.get(p.space) if p.space and not p.rate else None
            rate = p.rate or (remembered.texts_per_s if remembered is not None else None)
            if rate:
                rates[p.key] = rate
        self.plans = plan_trained(self.kinds, rates, n_train=self.n_train, n_deploy=self.n_deploy,
                                  budget_s=self.budget_s, named=self.named)  # fmt: skip
        return sum(p.seconds or 0.0 for p in self.plans if p.planned)

    def ruled_out(self) -> dict[tuple[str, str], str]:
        """Kinds the trials must skip, with why (the kind first, as the report groups them)."""
        return {
            (p.embedder, p.head): f"{p.embedder} + {p.head}: {p.reason}"
            for p in self.plans
            if not p.may_run
        }

    def planned(self) -> tuple[str, str] | None:
        return next(((p.embedder, p.head) for p in self.plans if p.planned), None)

    def trained_runs(self, kinds: list[tuple[str, str]]) -> bool:
        """Whether any of the search's trained ``kinds`` may run."""
        ruled = self.ruled_out()
        return any(k not in ruled for k in kinds)
