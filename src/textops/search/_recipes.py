"""Data recipes as a search axis: extra training rows made from the data (``augment``: one EDA
variant per row at a searched strength) or written by an LLM (``llm``: the dataset version's
synthetic rows), mixed in at a searched ratio of the training rows.

Leakage rules: a fold's training part receives only the variants of its own training rows
(a variant of a held-out row would score the model on a near-copy of what it trained on), and
LLM rows are training material only; validation and test never receive either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from textops._types import JSON, Params, ParamValue

if TYPE_CHECKING:
    from optuna.trial import Trial

__all__ = [
    "MIX_RATIOS",
    "RECIPES",
    "STRENGTHS",
    "Recipe",
    "RecipePool",
    "RecipeRow",
    "augment_pool",
    "recipe_params",
    "recipe_summary",
    "sample_recipe",
    "synthetic_pool",
]

RECIPES = ("none", "augment", "llm")
#: the searched share of augmented or generated rows, relative to a fold's training rows
MIX_RATIOS = (0.25, 0.5, 1.0)
#: the searched share of a text's words an augmentation changes
STRENGTHS = (0.1, 0.3)


@dataclass(frozen=True)
class Recipe:
    name: str = "none"
    mix: float = 0.0
    strength: float | None = None

    @property
    def adds_rows(self) -> bool:
        return self.name != "none" and self.mix > 0

    def as_json(self) -> JSON:
        return asdict(self)

    @classmethod
    def of(cls, value: Mapping[str, ParamValue] | None) -> Recipe:
        """The recipe a trial recorded (None or empty: no recipe)."""
        if not value:
            return cls()
        name, mix, strength = (
            value.get("name", "none"),
            value.get("mix", 0.0),
            value.get("strength"),
        )
        if (
            not isinstance(name, str)
            or isinstance(mix, bool | str) or mix is None
            or isinstance(strength, bool | str)
        ):  # fmt: skip
            raise ValueError(f"not a data recipe: {dict(value)!r}")
        return cls(name, float(mix), None if strength is None else float(strength))


def sample_recipe(trial: Trial, recipes: Sequence[str], embedder: str, head: str) -> Recipe | None:
    """A trial's data recipe, its mix and (augment) strength, for heads on cached dense
    embeddings; None when the search has no recipes, ``none`` when this kind takes no rows."""
    from textops.embed import make_embedder
    from textops.model import HEADS

    if tuple(recipes) == ("none",):
        return None
    emb = make_embedder(embedder)
    if HEADS[head].text_input or emb.sparse_output or not emb.cacheable:
        return Recipe()
    name = str(trial.suggest_categorical("recipe", list(recipes)))
    if name == "none":
        return Recipe()
    mix = float(trial.suggest_categorical(f"mix.{name}", list(MIX_RATIOS)))
    strength = None
    if name == "augment":
        strength = float(trial.suggest_categorical("strength", list(STRENGTHS)))
    return Recipe(name, mix, strength)


def recipe_params(recipe: Mapping[str, ParamValue] | None) -> Params:
    """A trial's recipe as MLflow params: recipe, recipe.mix, recipe.strength."""
    return {
        f"recipe.{k}" if k != "name" else "recipe": v
        for k, v in (recipe or {}).items()
        if v is not None
    }


@dataclass(frozen=True)
class RecipePool:
    """Extra rows of one recipe: texts, labels, and the training row each was made from
    (-1: made from none, an LLM's)."""

    texts: list[str]
    labels: list[str]
    origins: np.ndarray

    def take(self, rows: np.ndarray, mix: float, seed: int) -> np.ndarray:
        """Indices of the extra rows for a training part ``rows``: those made from its rows
        (or from none), ``mix`` x len(rows) of them at most, in one fixed shuffled order (a
        larger mix adds rows to a smaller one's)."""
        allowed = np.isin(self.origins, rows) | (self.origins < 0)
        order = np.random.default_rng(seed).permutation(len(self.texts))
        chosen = order[allowed[order]]
        return np.sort(chosen[: round(mix * len(rows))])


def augment_pool(
    texts: Sequence[str], labels: Sequence[str], strength: float, seed: int
) -> RecipePool:
    from textops.data import augment_texts

    variants = augment_texts(texts, strength, seed)
    keep = [i for i, (a, b) in enumerate(zip(variants, texts, strict=True)) if a != b]
    return RecipePool(
        [variants[i] for i in keep], [labels[i] for i in keep], np.asarray(keep, dtype=np.int64)
    )


def synthetic_pool(texts: Sequence[str], labels: Sequence[str], known: set[str]) -> RecipePool:
    """LLM rows of the labels the data has (an answer under another label is left out)."""
    keep = [i for i, lab in enumerate(labels) if lab in known]
    return RecipePool(
        [texts[i] for i in keep], [labels[i] for i in keep], np.full(len(keep), -1, dtype=np.int64)
    )


@dataclass(frozen=True)
class RecipeRow:
    """How one recipe did: its best complete trial's CV macro-F1, and the gain over ``none``."""

    recipe: str
    trials: int
    best_cv_macro_f1: float | None
    gain_over_none: float | None
    best: Recipe | None


def recipe_summary(
    trials: list[tuple[Mapping[str, ParamValue] | None, float]], recipes: Sequence[str]
) -> list[RecipeRow]:
    """Per recipe, from (recipe, CV macro-F1) of the complete trials."""
    best: dict[str, tuple[float, Recipe]] = {}
    counts: dict[str, int] = {}
    for value, score in trials:
        r = Recipe.of(value)
        counts[r.name] = counts.get(r.name, 0) + 1
        if r.name not in best or score > best[r.name][0]:
            best[r.name] = (score, r)
    base = best["none"][0] if "none" in best else None
    rows = []
    for name in recipes:
        top = best[name][0] if name in best else None
        gain = None if top is None or base is None or name == "none" else top - base
        found = best[name][1] if name in best else None
        rows.append(RecipeRow(name, counts.get(name, 0), top, gain, found))
    return rows
