"""Which registered version is champion, as pure functions of data: a classifier's test
macro-F1 against the champion's through the promotion gate, a generator's validation
perplexity against the champion's. :class:`~textops.track.ModelRegistry` reads the champion,
re-scores it when it was scored on other data, calls these, and writes the outcome."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from textops._types import JSON
from textops.track._gate import Gate, GateDecision, PairedPredictions, decide

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "HeldOut",
    "Registration",
    "classifier_decision",
    "generator_wins",
    "needs_rescoring",
]

CHAMPION = "champion"
CHALLENGER = "challenger"
TAG_F1 = "textops.test_macro_f1"
TAG_FP = "textops.dataset_fingerprint"
TAG_KIND = "textops.kind"
TAG_PPL = "textops.val_perplexity"
DEFAULT_GATE = Gate()


@dataclass(frozen=True)
class Registration:
    """What registering did: the version that holds the model, its alias, and why
    (``comparison``, logged with the run); ``unchanged`` when that version existed already."""

    version: int
    alias: str | None
    comparison: JSON = field(default_factory=dict)
    unchanged: bool = False
    #: the run that holds the version's model
    run_id: str | None = None


@dataclass(frozen=True)
class HeldOut:
    """The rows a promotion is decided on: texts and true labels, and (for a new version)
    its predicted labels on them; the registry predicts the champion's itself."""

    texts: Sequence[str]
    labels: Sequence[str]
    predicted: Sequence[str] | None = None


def classifier_decision(
    gate: Gate,
    macro_f1: float,
    fingerprint: str,
    champion_tags: Mapping[str, str] | None,
    *,
    paired: PairedPredictions | None = None,
    rescored_f1: float | None = None,
) -> tuple[GateDecision, JSON]:
    """The gate's decision on a new classifier and the comparison behind it. The champion's
    score: both models' labels on the held-out rows (``paired``, which ``significant``
    needs), else its recorded one on the same data (same ``fingerprint``), else its score
    re-measured on these rows (``rescored_f1``); with none, it is kept."""
    comparison: JSON = {"new_macro_f1": macro_f1}
    champ_f1: float | None = None
    if champion_tags is not None:
        if gate.mode == "significant" and paired is not None:
            champ_f1 = paired.macro_f1("champion")
            comparison["champion_scored"] = "predicted on this test split (paired)"
        elif champion_tags.get(TAG_FP) == fingerprint:
            champ_f1 = float(champion_tags[TAG_F1])
            comparison["champion_scored"] = "recorded (same test split)"
        elif rescored_f1 is not None:
            champ_f1 = rescored_f1
            comparison["champion_scored"] = "re-scored on this test split"
        else:
            champ_f1 = float("inf")
            comparison["champion_scored"] = "not comparable (other test split)"
        comparison["champion_macro_f1"] = champ_f1
    decision = decide(gate, macro_f1, champ_f1, paired if gate.mode == "significant" else None)
    return decision, {**comparison, "reason": decision.reason, "gate": decision.as_json()}


def generator_wins(
    perplexity: float,
    fingerprint: str,
    champion_tags: Mapping[str, str] | None,
    *,
    rescored: float | None = None,
) -> tuple[bool, JSON]:
    """Whether a new generator becomes champion: a lower validation perplexity than the
    champion's on the same validation split (recorded, or ``rescored`` on this one); a
    champion that is not a generator, or was scored on other data and not re-scored, stays."""
    comparison: JSON = {"new_val_perplexity": perplexity}
    if champion_tags is None:
        return True, {**comparison, "reason": "no champion yet"}
    if champion_tags.get(TAG_KIND) != "generator":
        champ, how = 0.0, "not a generator: kept"
    elif champion_tags.get(TAG_FP) == fingerprint:
        champ, how = float(champion_tags[TAG_PPL]), "recorded (same validation split)"
    elif rescored is not None:
        champ, how = rescored, "re-scored on this validation split"
    else:
        champ, how = 0.0, "not comparable (other validation split)"
    wins = perplexity < champ
    reason = (
        "lower validation perplexity than the champion" if wins
        else "does not beat the champion's validation perplexity"
    )  # fmt: skip
    return wins, {**comparison, "champion_scored": how, "champion_val_perplexity": champ,
                  "reason": reason}  # fmt: skip


def needs_rescoring(champion_tags: Mapping[str, str] | None, fingerprint: str) -> bool:
    """Whether a champion's recorded score is on other data than ``fingerprint``'s."""
    return champion_tags is not None and champion_tags.get(TAG_FP) != fingerprint
