"""The promotion gate: when a challenger may replace the champion.

``none`` always promotes; ``better`` promotes a higher test macro-F1 (a win by any margin,
noise included); ``significant`` promotes only when a paired test on the same test split says
the challenger is better at ``alpha``: McNemar's test on the rows exactly one model gets right
(statsmodels; exact binomial below 25 such rows), requiring more of them to be the
challenger's, or a paired bootstrap of the macro-F1 difference (scipy), one-sided."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from textops.model import macro_f1, macro_f1_labels

__all__ = [
    "GATES",
    "GATE_TESTS",
    "Gate",
    "GateDecision",
    "PairedPredictions",
    "bootstrap_test",
    "decide",
    "generator_decision",
    "mcnemar_test",
]

GATES = ("none", "better", "significant")
GATE_TESTS = ("mcnemar", "bootstrap")


class Gate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: Literal["none", "better", "significant"] = "better"
    test: Literal["mcnemar", "bootstrap"] = "mcnemar"
    alpha: float = Field(0.05, gt=0, lt=1)
    resamples: int = Field(2000, ge=100, description="bootstrap resamples")
    seed: int = 0


@dataclass(frozen=True)
class PairedPredictions:
    """Both models' labels for the same test rows."""

    y_true: list[str]
    challenger: list[str]
    champion: list[str]

    def macro_f1(self, which: str) -> float:
        pred = self.challenger if which == "challenger" else self.champion
        return macro_f1_labels(self.y_true, pred)


@dataclass(frozen=True)
class GateDecision:
    gate: str
    promote: bool
    reason: str
    challenger_macro_f1: float
    champion_macro_f1: float | None
    test: str | None = None
    alpha: float | None = None
    p_value: float | None = None
    #: McNemar: rows only the challenger / only the champion gets right; bootstrap: resamples
    counts: dict[str, int] = field(default_factory=dict)

    def tags(self) -> dict[str, str]:
        out = {"textops.gate": self.gate, "textops.gate_decision": "promoted" if self.promote
               else "refused", "textops.gate_reason": self.reason}  # fmt: skip
        if self.test is not None:
            out |= {
                "textops.gate_test": self.test,
                "textops.gate_alpha": repr(self.alpha),
                "textops.gate_p_value": repr(self.p_value),
                "textops.gate_counts": json.dumps(self.counts, sort_keys=True),
            }
        return out


def mcnemar_test(
    paired: PairedPredictions, alternative: Literal["two-sided", "greater"] = "two-sided"
) -> tuple[float, dict[str, int]]:
    """McNemar's test on the rows the two models disagree on. ``two-sided`` asks whether they
    differ (statsmodels: exact under 25 discordant rows, else chi-square with continuity
    correction); ``greater`` asks whether the challenger is better: the exact one-sided
    binomial test of its discordant wins, which is what a promotion gate means."""
    y = np.asarray(paired.y_true)
    new_ok = np.asarray(paired.challenger) == y
    old_ok = np.asarray(paired.champion) == y
    only_new, only_old = int(np.sum(new_ok & ~old_ok)), int(np.sum(~new_ok & old_ok))
    table = [[int(np.sum(new_ok & old_ok)), only_new], [only_old, int(np.sum(~new_ok & ~old_ok))]]
    counts = {"only_challenger_right": only_new, "only_champion_right": only_old,
              "both_right": table[0][0], "both_wrong": table[1][1]}  # fmt: skip
    if alternative == "greater":
        from scipy.stats import binomtest

        if only_new + only_old == 0:
            return 1.0, counts
        return float(
            binomtest(only_new, only_new + only_old, 0.5, alternative="greater").pvalue
        ), counts
    from statsmodels.stats.contingency_tables import mcnemar

    result = mcnemar(table, exact=only_new + only_old < 25, correction=True)
    return float(result.pvalue), counts


def _codes(paired: PairedPredictions) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    labels = sorted(set(paired.y_true) | set(paired.challenger) | set(paired.champion))
    index = {k: i for i, k in enumerate(labels)}
    arrays = [np.array([index[v] for v in seq]) for seq in
              (paired.y_true, paired.challenger, paired.champion)]  # fmt: skip
    return arrays[0], arrays[1], arrays[2], len(labels)


def bootstrap_test(paired: PairedPredictions, gate: Gate) -> tuple[float, dict[str, int]]:
    """One-sided p-value of "the challenger's macro-F1 is not higher": the share of paired
    resamples (rows drawn together for both models) where its lead is <= 0."""
    from scipy.stats import bootstrap

    y, new, old, k = _codes(paired)

    def lead(yy: np.ndarray, nn: np.ndarray, oo: np.ndarray) -> float:
        return macro_f1(yy, nn, k) - macro_f1(yy, oo, k)

    res = bootstrap(
        (y, new, old), lead, paired=True, vectorized=False, n_resamples=gate.resamples,
        method="percentile", random_state=np.random.default_rng(gate.seed),
    )  # fmt: skip
    dist = np.asarray(res.bootstrap_distribution)
    p = (int(np.sum(dist <= 0)) + 1) / (len(dist) + 1)
    return float(p), {"resamples": len(dist), "resamples_challenger_ahead": int(np.sum(dist > 0))}


def decide(
    gate: Gate,
    challenger_f1: float,
    champion_f1: float | None,
    paired: PairedPredictions | None = None,
) -> GateDecision:
    """Whether the challenger becomes champion under ``gate`` (no champion: it does)."""

    def decision(promote: bool, reason: str, **test: object) -> GateDecision:
        return GateDecision(
            gate=gate.mode,
            promote=promote,
            reason=reason,
            challenger_macro_f1=challenger_f1,
            champion_macro_f1=champion_f1,
            **test,  # type: ignore[arg-type]
        )

    if champion_f1 is None:
        return decision(True, "no champion yet")
    if gate.mode == "none":
        return decision(True, "gate none: promoted unconditionally")
    if gate.mode == "better":
        wins = challenger_f1 > champion_f1
        return decision(wins, "beats the champion" if wins else "does not beat the champion")
    if paired is None:
        reason = "gate significant: no shared test split to test on; kept as challenger"
        return decision(False, reason, test=gate.test, alpha=gate.alpha)
    if gate.test == "mcnemar":
        p, counts = mcnemar_test(paired, alternative="greater")
        wins_alone, losses_alone = counts["only_challenger_right"], counts["only_champion_right"]
        ahead, behind = wins_alone > losses_alone, wins_alone < losses_alone
        alone = f"; right alone on {wins_alone} rows, the champion on {losses_alone}"
    else:
        p, counts = bootstrap_test(paired, gate)
        ahead, behind = challenger_f1 > champion_f1, challenger_f1 < champion_f1
        alone = ""
    wins = ahead and p < gate.alpha
    verdict = (
        "significantly better" if wins else "worse than the champion" if behind
        else "not significantly better"
    )  # fmt: skip
    reason = f"{verdict} (one-sided {gate.test} p={p:.4g}, alpha {gate.alpha}{alone})"
    return decision(wins, reason, test=gate.test, alpha=gate.alpha, p_value=p, counts=counts)


def generator_decision(
    gate: Gate, challenger: Mapping[str, str], champion: Mapping[str, str], *, same: bool
) -> GateDecision:
    """A generator version (its registry tags) against the champion's: it replaces the
    champion on a lower recorded validation perplexity; there is no paired test for text."""
    if gate.mode == "significant":
        from textops.errors import TextopsError

        raise TextopsError(
            "gate significant has no paired test for generators; use --gate better "
            "(lower validation perplexity) or --gate none"
        )
    new = float(challenger.get("textops.val_perplexity", "inf"))
    is_gen = champion.get("textops.kind") == "generator"
    old = float(champion.get("textops.val_perplexity", "inf")) if is_gen else float("inf")
    split = champion.get("textops.dataset_fingerprint") == challenger.get(
        "textops.dataset_fingerprint"
    )
    reason = f"validation perplexity {new:.3f} against the champion's {old:.3f}" + (
        "" if split else " (recorded on different validation splits)"
    )
    return GateDecision(gate=gate.mode, promote=new < old or same, reason=reason,
                        challenger_macro_f1=float("nan"), champion_macro_f1=None)  # fmt: skip
