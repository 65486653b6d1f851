"""Which registered version is champion, as pure functions of data: a classifier's test
macro-F1 against the champion's through the promotion gate, a generator's validation
perplexity against the champion's. :class:`~textops.track.ModelRegistry` reads the champion,
re-scores it when it was scored on other data, calls these, and writes the outcome."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from textops._json import OMIT_FALSE, OMIT_NONE
from textops.track._gate import Gate, GateDecision, PairedPredictions, decide

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "Comparison",
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
class Comparison:
    """Why a new version got its alias: the two scores, how the champion's was obtained, and
    the gate's decision (classifiers); as JSON (``to_json``) it is the ``champion_comparison.json`` logged
    with the run and the ``comparison`` of ``--json`` (fields that do not apply left out)."""

    reason: str
    new_version: int | None = field(default=None, metadata=OMIT_NONE)
    new_macro_f1: float | None = field(default=None, metadata=OMIT_NONE)
    new_val_perplexity: float | None = field(default=None, metadata=OMIT_NONE)
    champion_version: int | None = field(default=None, metadata=OMIT_NONE)
    champion_scored: str | None = field(default=None, metadata=OMIT_NONE)
    champion_macro_f1: float | None = field(default=None, metadata=OMIT_NONE)
    champion_val_perplexity: float | None = field(default=None, metadata=OMIT_NONE)
    gate: GateDecision | None = field(default=None, metadata=OMIT_NONE)
    #: the version existed already (a search's same study, trial and data): nothing new
    unchanged: bool = field(default=False, metadata=OMIT_FALSE)


@dataclass(frozen=True)
class Registration:
    """What registering did: the version that holds the model, its alias, and why
    (``comparison``, logged with the run); ``unchanged`` when that version existed already."""

    version: int
    alias: str | None
    comparison: Comparison
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
) -> tuple[GateDecision, Comparison]:
    """The gate's decision on a new classifier and the comparison behind it. The champion's
    score: both models' labels on the held-out rows (``paired``, which ``significant``
    needs), else its recorded one on the same data (same ``fingerprint``), else its score
    re-measured on these rows (``rescored_f1``); with none, it is kept."""
    champ_f1: float | None = None
    how = None
    if champion_tags is not None:
        if gate.mode == "significant" and paired is not None:
            champ_f1, how = paired.macro_f1("champion"), "predicted on this test split (paired)"
        elif champion_tags.get(TAG_FP) == fingerprint:
            champ_f1, how = float(champion_tags[TAG_F1]), "recorded (same test split)"
        elif rescored_f1 is not None:
            champ_f1, how = rescored_f1, "re-scored on this test split"
        else:
            champ_f1, how = float("inf"), "not comparable (other test split)"
    decision = decide(gate, macro_f1, champ_f1, paired if gate.mode == "significant" else None)
    return decision, Comparison(reason=decision.reason, new_macro_f1=macro_f1,
                                champion_scored=how, champion_macro_f1=champ_f1,
                                gate=decision)  # fmt: skip


def generator_wins(
    perplexity: float,
    fingerprint: str,
    champion_tags: Mapping[str, str] | None,
    *,
    rescored: float | None = None,
) -> tuple[bool, Comparison]:
    """Whether a new generator becomes champion: a lower validation perplexity than the
    champion's on the same validation split (recorded, or ``rescored`` on this one); a
    champion that is not a generator, or was scored on other data and not re-scored, stays."""
    if champion_tags is None:
        return True, Comparison(reason="no champion yet", new_val_perplexity=perplexity)
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
    return wins, Comparison(reason=reason, new_val_perplexity=perplexity, champion_scored=how,
                            champion_val_perplexity=champ)  # fmt: skip


def needs_rescoring(champion_tags: Mapping[str, str] | None, fingerprint: str) -> bool:
    """Whether a champion's recorded score is on other data than ``fingerprint``'s."""
    return champion_tags is not None and champion_tags.get(TAG_FP) != fingerprint
