"""EDA-style text augmentation (Wei & Zou, 2019): random swap, random deletion, insertion of
in-vocabulary words, and character noise, each touching a ``strength`` share of a text's
words. Deterministic per (text, seed).

Written here rather than taken from an augmentation library: EDA's synonym replacement (the
one operation such libraries add) needs WordNet, which downloads at run time; insertion draws
from the corpus's own vocabulary instead, so the words stay in the domain and in its language.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

__all__ = ["OPERATIONS", "augment", "augment_texts"]

OPERATIONS = ("swap", "delete", "insert", "char")
_KEYBOARD = "abcdefghijklmnopqrstuvwxyz"


def _rng(text: str, seed: int) -> random.Random:
    digest = hashlib.blake2b(f"{seed}\x00{text}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def _swap(words: list[str], n: int, rng: random.Random, _vocab: Sequence[str]) -> list[str]:
    out = list(words)
    for _ in range(n):
        if len(out) < 2:
            break
        i, j = rng.sample(range(len(out)), 2)
        out[i], out[j] = out[j], out[i]
    return out


def _delete(words: list[str], n: int, rng: random.Random, _vocab: Sequence[str]) -> list[str]:
    if len(words) <= 1:
        return list(words)
    drop = set(rng.sample(range(len(words)), min(n, len(words) - 1)))
    return [w for i, w in enumerate(words) if i not in drop]


def _insert(words: list[str], n: int, rng: random.Random, vocab: Sequence[str]) -> list[str]:
    out = list(words)
    pool = vocab or words
    for _ in range(n):
        out.insert(rng.randrange(len(out) + 1), rng.choice(pool))
    return out


def _char(words: list[str], n: int, rng: random.Random, _vocab: Sequence[str]) -> list[str]:
    out = list(words)
    for _ in range(n):
        i = rng.randrange(len(out))
        w = out[i]
        if len(w) < 2:
            continue
        j = rng.randrange(len(w))
        kind = rng.randrange(3)
        if kind == 0:  # substitute
            w = w[:j] + rng.choice(_KEYBOARD) + w[j + 1 :]
        elif kind == 1:  # delete
            w = w[:j] + w[j + 1 :]
        else:  # transpose with the next character
            j = min(j, len(w) - 2)
            w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        out[i] = w
    return out


_OPS = {"swap": _swap, "delete": _delete, "insert": _insert, "char": _char}


def augment(text: str, strength: float, seed: int = 0, vocab: Sequence[str] = ()) -> str:
    """One EDA variant of ``text``: an operation drawn per text, applied to ``strength`` of its
    words (at least one). The same (text, strength, seed) gives the same variant."""
    if not 0 < strength <= 1:
        raise ValueError("strength is the share of words changed: 0 < strength <= 1")
    words = text.split()
    if not words:
        return text
    rng = _rng(text, seed)
    n = max(1, round(strength * len(words)))
    op = _OPS[rng.choice(OPERATIONS)]
    return " ".join(op(words, n, rng, vocab))


def augment_texts(
    texts: Sequence[str], strength: float, seed: int = 0, vocab_size: int = 5000
) -> list[str]:
    """One variant of each text; insertions draw from the ``vocab_size`` most frequent words of
    ``texts`` (in-vocabulary)."""
    from collections import Counter

    counts = Counter(w for t in texts for w in t.split())
    vocab = [w for w, _ in counts.most_common(vocab_size)]
    return [augment(t, strength, seed, vocab) for t in texts]
