"""The floor a search never registers below: plain TF-IDF + logistic regression.

Users compare a search with what they could run themselves in seconds. A winner chosen on
CV can still score below that on held-out data: a kind scored on fewer folds (it led on the
folds the budget allowed), or CV noise between close kinds. On a 16-class headline set a
240 s search registered a model below plain TF-IDF + LR (0.527 against 0.531). So when the
search space holds TF-IDF + logistic regression (the portfolio tries it first) and another
kind won, the best TF-IDF + LR trial is refitted too and both are scored on the test split;
the better one is registered. The test split then chooses between two models, which makes
the registered score the larger of two estimates (a small optimism the report names).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from optuna import Study
    from optuna.trial import FrozenTrial

__all__ = ["FLOOR", "FloorCheck", "floor_trial"]

#: the floor's embedder and head
FLOOR = ("tfidf", "logreg")


@dataclass(frozen=True)
class FloorCheck:
    """The winner and the floor on the test split, and whether the floor replaced it (it
    scored higher)."""

    trial: int
    winner_macro_f1: float
    floor_macro_f1: float
    chosen: bool
    embedder: str = FLOOR[0]
    head: str = FLOOR[1]

    @classmethod
    def of(cls, trial: int, winner_macro_f1: float, floor_macro_f1: float) -> FloorCheck:
        return cls(trial, winner_macro_f1, floor_macro_f1, floor_macro_f1 > winner_macro_f1)


def _kind(t: FrozenTrial) -> tuple[object, object]:
    return t.user_attrs.get("embedder"), t.user_attrs.get("head")


def floor_trial(study: Study, winner: FrozenTrial) -> FrozenTrial | None:
    """The best complete TF-IDF + LR trial of a single-objective study whose winner is of
    another kind (None: the winner is one, or the space has none)."""
    from optuna.trial import TrialState

    if len(study.directions) != 1 or _kind(winner) == FLOOR:
        return None
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    floors = [t for t in done if _kind(t) == FLOOR and t.values]
    return max(floors, key=lambda t: (t.values[0], -t.number), default=None)
