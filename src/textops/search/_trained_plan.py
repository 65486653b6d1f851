"""Time for a fine-tune, found before the frozen embedders' encodes spend the budget.

A search with a time budget and the default heads may fine-tune MiniLM end to end. Left to
the sampler, a fine-tune comes after the frozen trials and their encodes, when the time left
no longer holds one epoch. So the plan decides up front, from the encode rate it measured:

* a trained kind (embedder + head) whose first epoch and deployment fit in ``SHARE`` of the
  budget is **planned**: encoding holds back its default epochs' seconds (at most ``SHARE``
  of the budget), its trial runs after the two cheapest frozen starts, fits its epochs to the
  time it finds, and its own model is deployed when a refit would not fit (``KeptModel``);
* a kind the defaults brought that does not fit is **ruled out** before anything loads, and
  the frozen trials keep running two at a time; a trained head named with ``--heads`` keeps
  its chance to run when time allows, as before.

``SHARE`` and the one-epoch rule come from bench/oracle.py (docs/benchmarks.md): wherever
`textops finetune` fit one epoch into the budget, its model scored at or above every frozen
approach run alone, or within a point of the search; the search keeps the rest of the budget
for its frozen trials and the TF-IDF floor. A first epoch that needs most of a small budget
is left to `textops finetune`, which can spend all of it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from textops.embed import EmbeddingCache
from textops.model import HEADS, build_head
from textops.search._budget import MODEL_LOAD_S
from textops.search._embedder_plan import EmbedderPlan
from textops.search._trial_hooks import SAVE_SECONDS, TRAINING_COST

__all__ = ["SHARE", "TrainedPlan", "TrainedPlanner", "plan_trained"]

Kind = tuple[str, str]

log = logging.getLogger("textops.search")

#: the largest share of the budget a planned fine-tune's estimate may take
SHARE = 0.6
#: texts a rate measured on the plan's small sample is timed on again (when that decides),
#: at most what the small sample's rate encodes in ``RETIME_SECONDS``
RETIME = 512
RETIME_SECONDS = 5.0


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
    #: the texts the plan encodes, and their cache keys (a rate retimed here fills the cache)
    texts: list[str] = field(default_factory=list)
    keys: list[bytes] = field(default_factory=list)
    plans: list[TrainedPlan] = field(default_factory=list)

    def __call__(self, embedders: list[EmbedderPlan]) -> float:
        rates: dict[str, float] = {}
        for p in embedders:
            remembered = self.cache.rates.get(p.space) if p.space and not p.rate else None
            rate = p.rate or (remembered.texts_per_s if remembered is not None else None)
            if rate:
                rates[p.key] = rate
        self.plans = self._plan(rates)
        for p in embedders:  # a rate timed on a few texts, where a truer one could plan it
            if p.key in rates and self._retime(p, rates[p.key]):
                rates[p.key] = self._timed(p)
                self.plans = self._plan(rates)
        return sum(p.seconds or 0.0 for p in self.plans if p.planned)

    def _plan(self, rates: dict[str, float]) -> list[TrainedPlan]:
        return plan_trained(self.kinds, rates, n_train=self.n_train, n_deploy=self.n_deploy,
                            budget_s=self.budget_s, named=self.named)  # fmt: skip

    def _retime(self, plan: EmbedderPlan, rate: float) -> bool:
        """Whether to time ``plan``'s embedder again on more texts: its rate was measured
        now on the plan's small sample (one padded batch: on texts of mixed lengths it can
        be half the rate of a long encode, whose batches are sorted by length), no kind is
        planned, and one of this embedder's would be at twice the rate."""
        if plan.rate_source != "measured" or plan.embedder is None or plan.missing <= RETIME:
            return False
        if any(p.planned for p in self.plans) or self.budget_s is None:
            return False
        mine = [k for k in self.kinds if k[0] == plan.key]
        twice = plan_trained(mine, {plan.key: 2 * rate}, n_train=self.n_train,
                             n_deploy=self.n_deploy, budget_s=self.budget_s, named=self.named)  # fmt: skip
        return any(p.planned for p in twice)

    def _timed(self, plan: EmbedderPlan) -> float:
        """The rate of encoding up to ``RETIME`` more of the plan's missing texts, into the
        cache (the encode that follows skips them)."""
        from textops.embed import encode_texts

        assert plan.embedder is not None
        found = self.cache.lookup(plan.embedder, self.keys).found
        n = min(RETIME, max(64, int(RETIME_SECONDS * (plan.rate or 0.0))))  # slow: fewer texts
        idx = [i for i in range(len(self.texts)) if not found[i]][:n]
        start = time.perf_counter()
        encode_texts(plan.embedder, [self.texts[i] for i in idx], self.cache,
                     keys=[self.keys[i] for i in idx], show_progress=False)  # fmt: skip
        rate = len(idx) / max(time.perf_counter() - start, 1e-3)
        log.info("%s re-timed on %d texts for the fine-tune's estimate: %.0f texts/s (%.0f "
                 "on the plan's sample)", plan.key, len(idx), rate, plan.rate or 0.0)  # fmt: skip
        return rate

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

    def keep_encoder(self, embedders: list[EmbedderPlan], frozen: list[str]) -> dict[Kind, str]:
        """The planned kind's embedder stays in the search when its frozen encode did not fit
        (the time was held for the fine-tune, which reads texts): marked included, and the
        ``frozen`` heads on it returned as kinds to rule out, with why."""
        planned = self.planned()
        plan = next((p for p in embedders if planned and p.key == planned[0]), None)
        if planned is None or plan is None or plan.included:
            return {}
        plan.included = True
        plan.reason = f"kept for its fine-tune only, not encoded ({plan.reason})"
        why = f"{plan.key} was not encoded (the time went to its fine-tune)"
        return {(plan.key, h): f"{plan.key} + {h}: {why}" for h in frozen}
