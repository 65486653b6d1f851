"""Time for a fine-tune, found before the frozen embedders' encodes spend the budget.

A search with a time budget and the default heads may fine-tune MiniLM end to end. Left to
the sampler, a fine-tune came after the frozen trials and their encodes, when the time left
no longer held one epoch; on TREC at 240 s that lost 1.5 points to `textops finetune` run
alone (bench/oracle.py). So the plan decides up front, from the encode rate it measured:

* a trained kind (embedder + head) whose first epoch and deployment fit in ``SHARE`` of the
  budget is **planned**: encoding holds back its default epochs' seconds (at most ``SHARE``
  of the budget), its trial runs after the two cheapest frozen starts, fits its epochs to the
  time it finds, and its own model is deployed when a refit would not fit (``KeptModel``);
* a kind the defaults brought that does not fit is **ruled out** before anything loads, and
  the frozen trials keep running two at a time; a trained head named with ``--heads`` keeps
  its chance to run when time allows, as before.

``SHARE`` and the one-epoch rule come from bench/oracle.py: wherever `textops finetune` fit
one epoch into the budget, its model scored at or above every frozen approach run alone
(TREC: +6 points at 60 s; movie reviews at 240 s: one epoch, +6 points over TF-IDF) or
within a point of the search (SMS); the search keeps the rest of the budget for its frozen
trials and the TF-IDF floor. At 60 s, TREC's first epoch needs ~80 % of the budget: left to
`textops finetune`, which can spend all of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textops.embed import EmbeddingCache
from textops.model import HEADS, build_head
from textops.search._budget import MODEL_LOAD_S
from textops.search._embedder_plan import EmbedderPlan
from textops.search._trial_hooks import SAVE_SECONDS, TRAINING_COST

__all__ = ["SHARE", "TrainedPlan", "TrainedPlanner", "plan_trained"]

#: the largest share of the budget a planned fine-tune's estimate may take
SHARE = 0.6


@dataclass(frozen=True)
class TrainedPlan:
    """One trained kind's plan: the seconds held for it (planned), or its first epoch's and
    deployment's estimate (not planned); whether it is planned, and why (not)."""

    embedder: str
    head: str
    seconds: float | None
    planned: bool
    reason: str
    #: whether trials may still draw it (a kind the user named; not one the plan ruled out)
    may_run: bool


@dataclass(frozen=True)
class _Cost:
    """Seconds of one epoch and of the head's default epochs, each with loading the model,
    then encoding the texts a deployment encodes with the trained encoder and saving it."""

    one: float
    full: float
    epochs: int


def _cost(head: str, n_train: int, n_deploy: int, rate: float) -> _Cost:
    """From the frozen encode rate (``rate``, texts/s)."""
    est = build_head(head, {}, seed=0)
    epochs = int(est.get_params().get("epochs", 1))
    epoch = TRAINING_COST * float(est.encoder_passes(n_train)) / rate
    fixed = MODEL_LOAD_S + n_deploy / rate + SAVE_SECONDS
    return _Cost(fixed + epoch, fixed + epochs * epoch, epochs)


def plan_trained(
    kinds: list[tuple[str, str]],
    rates: dict[str, float],
    *,
    n_train: int,
    n_deploy: int,
    budget_s: float | None,
    named: bool,
) -> list[TrainedPlan]:
    """The plan of each trained kind: the cheapest whose first epoch and deployment fit
    ``SHARE`` of ``budget_s`` is planned (one: they would share the cores), holding its
    default epochs' seconds or ``SHARE`` of the budget, whichever is less (the trial fits its
    epochs to the time it finds); ``named``: the trained heads were named by the user (the
    others stay drawable), else they came with the defaults (the others are ruled out).
    ``rates``: encode rates (texts/s) by embedder key."""
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
            costed.append((_cost(hk, n_train, n_deploy, rate), ek, hk))
    chosen = False
    room = SHARE * budget_s
    for cost, ek, hk in sorted(costed, key=lambda c: c[0].one):
        need = f"one epoch and deployment need ~{cost.one:.0f}s"
        if cost.one <= room and not chosen:
            chosen = True
            held = min(cost.full, room)
            why = (f"planned: {need}, its {cost.epochs} epochs ~{cost.full:.0f}s; "
                   f"{held:.0f}s of the {budget_s:.0f}s budget held for it")  # fmt: skip
            out.append(TrainedPlan(ek, hk, held, True, why, may_run=True))
        elif cost.one <= room:
            why = "another fine-tune is planned"
            out.append(TrainedPlan(ek, hk, cost.one, False, why, may_run=named))
        else:
            why = f"{need}, over {SHARE:.0%} of the {budget_s:.0f}s budget"
            out.append(TrainedPlan(ek, hk, cost.one, False, why, may_run=named))
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
