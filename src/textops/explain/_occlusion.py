"""Leave-one-word-out occlusion: works for any model that gives probabilities.

A text of n words costs one model call on n + 1 texts (the text and each text without one
word), so its latency is one batched encode, not n round trips. A text of more than
``MAX_UNITS`` words (a news article) leaves out runs of consecutive words instead, at most
``MAX_UNITS`` + 1 texts, each word of a run getting an equal share of its score: word by
word, a 400-word article would be 401 long texts to encode. A word's score is the drop in
the class's log-odds: a confident model (p = 0.99999 for spam) still ranks the words that hold
it there, where differences of probabilities would all round to zero."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np

from textops.explain._attribution import Attribution
from textops.explain._words import split_words, without_words

__all__ = ["MAX_UNITS", "ProbaFn", "log_odds", "occlusion", "target_index", "units"]

ProbaFn = Callable[[list[str]], np.ndarray]

#: most texts one explanation encodes besides the original (longer texts: runs of words)
MAX_UNITS = 64

#: the smallest probability taken a log of
TINY = 1e-300


def log_odds(proba: np.ndarray, c: int) -> np.ndarray:
    """Class ``c``'s log-odds per row, its complement summed from the other columns: when
    ``p_c`` rounds to 1.0 the other classes' small probabilities still tell rows apart."""
    rest = np.delete(proba, c, axis=1).sum(axis=1)
    out: np.ndarray = np.log(np.maximum(proba[:, c], TINY)) - np.log(np.maximum(rest, TINY))
    return out


def target_index(labels: Sequence[str], proba: np.ndarray, label: str | None) -> int:
    """The column explained: ``label``'s, else the predicted class's."""
    if label is None:
        return int(np.argmax(proba))
    from textops.errors import InvalidLabelError

    if label not in labels:
        raise InvalidLabelError(f"label: {label!r} is not one of the model's labels {list(labels)}")
    return list(labels).index(label)


def units(n: int, max_units: int = MAX_UNITS) -> list[range]:
    """The runs of word indices left out together: single words up to ``max_units`` words,
    else ``max_units`` runs of (nearly) equal length."""
    if n <= max_units:
        return [range(i, i + 1) for i in range(n)]
    edges = np.linspace(0, n, max_units + 1).round().astype(int)
    return [range(int(a), int(b)) for a, b in itertools.pairwise(edges) if b > a]


def occlusion(
    proba_fn: ProbaFn,
    labels: Sequence[str],
    text: str,
    label: str | None = None,
    *,
    max_units: int = MAX_UNITS,
) -> Attribution:
    """Each word's score: the class's log-odds on the text minus those without the word (or
    its share of those without its run of words, for a long text)."""
    spans = split_words(text)
    words = [text[s:e] for s, e in spans]
    runs = units(len(words), max_units)
    variants = [text, *(without_words(words, run) for run in runs)]
    proba = np.asarray(proba_fn(variants), dtype=np.float64)
    c = target_index(labels, proba[0], label)
    odds = log_odds(proba, c)
    scores = np.zeros(len(words))
    for run, drop in zip(runs, odds[0] - odds[1:], strict=True):
        scores[run.start : run.stop] = drop / len(run)
    return Attribution.of(text, labels, proba[0], c, "occlusion", spans, scores)
