"""The starting trials a study is created with: strong, cheap points tried before the sampler
takes over (a regularised linear head per embedder, then each trained head from its
defaults), or, with few labels, the whole search as a fixed portfolio."""

from __future__ import annotations

from typing import Any

from textops._types import JSON, Params

__all__ = ["SPARSE_C", "few_label_portfolio", "portfolio"]

#: logistic regression's C on sparse features, in the order the portfolio tries them: TF-IDF
#: + logistic regression is the classic strong text baseline, best at weak regularisation (its
#: usual C grid's upper half, so the search never misses it; C 100 won the 5-fold CV of every
#: built-in dataset in a one-off check)
SPARSE_C = (100.0, 10.0, 1.0)


def portfolio(
    embedders: list[str],
    heads: list[str],
    *,
    few_labels: bool = False,
    planned: tuple[str, str] | None = None,
) -> list[Params]:
    """Strong, cheap starting points tried before the sampler takes over: a regularised linear
    head per embedder, breadth first. Round one gives every embedder (cheapest first) one
    start, so that a small budget still tries each; the next rounds add the other C values
    of the sparse ones; then each trained head from its defaults. The sampler then explores
    around them. ``planned``: a trained kind the plan found time for goes third, after the
    two cheapest frozen starts (a winner, and its finalising cost, known before it trains).
    ``few_labels``: the whole search instead (:func:`few_label_portfolio`)."""
    if few_labels:
        return few_label_portfolio(embedders, heads)
    from textops.embed import EMBEDDERS
    from textops.search._pairing import compatible_heads, searches_normalization

    rounds: list[list[JSON]] = [[] for _ in SPARSE_C]
    for emb in embedders:
        usable = compatible_heads(emb, heads)
        head = "logreg" if "logreg" in usable else "linear_svm" if "linear_svm" in usable else None
        if head is None:
            continue
        as_given = {"normalize": "none"} if searches_normalization(emb, head) else {}
        if head == "logreg":
            sparse = EMBEDDERS[emb].cls.sparse_output
            values = [("logreg.C", c) for c in (SPARSE_C if sparse else (1.0,))]
        else:
            values = [("linear_svm.C", 0.5)]
        for r, (name, c) in enumerate(values):
            rounds[r].append(
                {
                    "embedder": emb,
                    f"head.{emb}": head,
                    name: c,
                    f"{head}.class_weight": None,
                    **as_given,
                }
            )
    linear = [start for starts in rounds for start in starts]
    trained = _trained_starts(embedders, heads)
    if planned is not None:
        first = _default_start(*planned)
        trained = [t for t in trained if t.get("embedder") != planned[0]
                   or t.get(f"head.{planned[0]}") != planned[1]]  # fmt: skip
        return [*linear[:2], first, *linear[2:], *trained]
    return linear + trained


def few_label_portfolio(embedders: list[str], heads: list[str]) -> list[Params]:
    """The trials of a few-labels search, each once: every head on every embedder it takes,
    with the head's few-labels parameters (``HeadSpec.few_labels``, else its defaults), heads
    on embeddings first (each takes moments on a few dozen rows, and gives a winner to keep
    time for), then the trained heads on each encoder they start from, cheapest first.

    No hyperparameter search: on a few dozen rows a CV score moves by a whole held-out error
    between two folds' draws, so the best of a thousand sampled trials is mostly the luckiest
    one (bench/selection.py measures it against fixed parameters)."""
    from textops.model import HEADS
    from textops.search._pairing import compatible_heads

    frozen = [
        _default_start(emb, hk)
        for emb in embedders
        for hk in compatible_heads(emb, heads)
        if not HEADS[hk].text_input
    ]
    trained = [
        _default_start(emb, hk)
        for hk in heads
        if HEADS[hk].text_input
        for emb in embedders
        if hk in compatible_heads(emb, [hk])
    ]
    return frozen + trained


def _default_start(emb: str, hk: str) -> JSON:
    """Head ``hk`` on ``emb`` with its few-labels parameters, else its own defaults, its
    inputs as the embedder gives them."""
    from textops.model import HEADS
    from textops.search._pairing import searches_normalization

    spec = HEADS[hk]
    trial = _Defaults({**spec.defaults(), **spec.few_labels})
    spec.space(trial)
    as_given = {"normalize": "none"} if searches_normalization(emb, hk) else {}
    return {"embedder": emb, f"head.{emb}": hk, **trial.chosen, **as_given}


class _Defaults:
    """A stand-in trial that answers every suggestion with the head's own default (when the
    space allows it) and records the parameter's name."""

    def __init__(self, defaults: JSON) -> None:
        self.defaults = defaults
        self.chosen: JSON = {}

    def _pick(self, name: str, ok: Any, fallback: Any) -> Any:
        value = self.defaults.get(name.split(".", 1)[-1], fallback)
        if ok(value):
            self.chosen[name] = value
            return value
        return fallback

    def suggest_float(self, name: str, low: float, high: float, **_: Any) -> float:
        return float(self._pick(name, lambda v: isinstance(v, float) and low <= v <= high, low))

    def suggest_int(self, name: str, low: int, high: int, **_: Any) -> int:
        return int(self._pick(name, lambda v: isinstance(v, int) and low <= v <= high, low))

    def suggest_categorical(self, name: str, choices: list[Any]) -> Any:
        return self._pick(name, lambda v: v in choices, choices[0])


def _trained_starts(embedders: list[str], heads: list[str]) -> list[JSON]:
    """Each trained head (fine-tune, SetFit) once with its own defaults, on the first
    embedder it takes: a sampled learning rate is often far from one that works, and a
    trained head gets few trials."""
    from textops.model import HEADS
    from textops.search._pairing import compatible_heads

    out = []
    for hk in heads:
        if not HEADS[hk].text_input:
            continue
        emb = next((e for e in embedders if hk in compatible_heads(e, [hk])), None)
        if emb is not None:
            out.append(_default_start(emb, hk))
    return out
