"""Faithfulness of attributions, measured (DeYoung et al., ERASER, ACL 2020): for the top k %
of words by attribution, *comprehensiveness* is how much the explained class's probability
drops when they are removed, *sufficiency* how much it drops when only they are kept. Good
attributions have high comprehensiveness and low sufficiency; a random ordering of the same
words is the baseline. Scores at each k in ``BINS`` and their mean (ERASER's AOPC)."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from textops._types import JSON
from textops.explain._attribution import Attribution
from textops.explain._methods import METHODS, resolve_method
from textops.explain._words import join_words, without_words
from textops.model import TextClassifier

__all__ = ["BINS", "Faithfulness", "erasure_scores", "evaluate_faithfulness"]

#: percentages of the words removed or kept (ERASER's bins)
BINS = (1, 5, 10, 20, 50)


@dataclass(frozen=True)
class Faithfulness:
    method: str
    texts: int
    #: mean over texts, per bin in ``BINS``: attributions' order, and a random order
    comprehensiveness: tuple[float, ...]
    sufficiency: tuple[float, ...]
    random_comprehensiveness: tuple[float, ...]
    random_sufficiency: tuple[float, ...]
    #: seconds to explain one text, median
    seconds_per_text: float

    def at(self, k: int) -> tuple[float, float]:
        """(comprehensiveness, random comprehensiveness) at ``k`` %."""
        i = BINS.index(k)
        return self.comprehensiveness[i], self.random_comprehensiveness[i]

    def ratio(self, k: int = 20) -> float:
        """Comprehensiveness over a random order's at ``k`` %: above 1 beats chance."""
        ours, rand = self.at(k)
        return ours / rand if rand > 0 else math.inf if ours > 0 else math.nan

    def as_json(self) -> JSON:
        return {
            "method": self.method,
            "texts": self.texts,
            "bins_percent": list(BINS),
            "comprehensiveness": list(self.comprehensiveness),
            "sufficiency": list(self.sufficiency),
            "random_comprehensiveness": list(self.random_comprehensiveness),
            "random_sufficiency": list(self.random_sufficiency),
            "comprehensiveness_aopc": float(np.mean(self.comprehensiveness)),
            "sufficiency_aopc": float(np.mean(self.sufficiency)),
            "ratio_to_random_at_20": self.ratio(20),
            "seconds_per_text": self.seconds_per_text,
        }


def _top(order: Sequence[int], n: int, k: int) -> list[int]:
    return list(order[: max(1, math.ceil(n * k / 100))])


def erasure_scores(
    clf: TextClassifier, attr: Attribution, order: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """(comprehensiveness, sufficiency) per bin for one text, words taken in ``order``: one
    model call on the 2 x len(BINS) erased texts."""
    n = len(attr.words)
    if n == 0:
        return np.zeros(len(BINS)), np.zeros(len(BINS))
    tops = [_top(order, n, k) for k in BINS]
    variants = [without_words(attr.words, t) for t in tops]
    variants += [join_words(attr.words, t) for t in tops]
    c = clf.labels.index(attr.label)
    proba = clf.predict_proba(variants)[:, c]
    drop = attr.probability - proba
    return drop[: len(BINS)], drop[len(BINS) :]


def evaluate_faithfulness(
    clf: TextClassifier,
    texts: Sequence[str],
    methods: Sequence[str] = ("auto",),
    *,
    seed: int = 0,
    show_progress: bool = False,
) -> list[Faithfulness]:
    """Each method's comprehensiveness and sufficiency on ``texts`` (explaining the predicted
    class), next to a random ordering of the same words (seeded, the same for every method)."""
    from textops._progress import progress

    rng = np.random.default_rng(seed)
    orders = [rng.permutation(max(len(t.split()), 0)).tolist() for t in texts]
    out = []
    for method in dict.fromkeys(resolve_method(clf, m) for m in methods):
        ours, rand, seconds = [], [], []
        enabled = None if show_progress else False
        with progress(f"faithfulness: {method}", len(texts), enabled) as bar:
            for text, order in zip(texts, orders, strict=True):
                t0 = time.perf_counter()
                attr = METHODS[method].explain(clf, text, None)
                seconds.append(time.perf_counter() - t0)
                ours.append(erasure_scores(clf, attr, attr.ranking()))
                rand.append(erasure_scores(clf, attr, order))
                bar.advance()
        out.append(
            Faithfulness(
                method=method,
                texts=len(texts),
                comprehensiveness=tuple(np.mean([o[0] for o in ours], axis=0).tolist()),
                sufficiency=tuple(np.mean([o[1] for o in ours], axis=0).tolist()),
                random_comprehensiveness=tuple(np.mean([r[0] for r in rand], axis=0).tolist()),
                random_sufficiency=tuple(np.mean([r[1] for r in rand], axis=0).tolist()),
                seconds_per_text=float(np.median(seconds)),
            )
        )
    return out
