"""An embedder whose full encode does not fit the budget is still a candidate on the rows that
fit: a stratified sample of the train split (and the whole test split, which the winner is
scored on) is encoded, and its trials cross-validate on that sample, its refit fits on it.

A hybrid (TF-IDF + MiniLM) runs on the sample of its cached part: once MiniLM's sample is in
the cache, pricing the hybrid for a full MiniLM encode left it out of a 240 s search on 29k
tweets whose sample had just been encoded (the champion was plain TF-IDF)."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np

from textops.embed import EMBEDDERS, EmbeddingCache, encode_texts
from textops.search._embedder_plan import EmbedderPlan

__all__ = ["MIN_SAMPLE_ROWS", "SampleFrame", "encode_sample", "share_sample"]

log = logging.getLogger("textops.search")
#: train rows a budget-sampled embedder needs at least (fewer: left out)
MIN_SAMPLE_ROWS = 48


@dataclass(frozen=True)
class SampleFrame:
    """Where a budget-sampled embedder's rows come from: the train split's positions among the
    planned texts with their labels (for stratification), the test split's positions (always
    encoded: the winner is scored on them), and the CV folds (each label needs that many)."""

    train: list[int]
    labels: list[str]
    test: list[int]
    folds: int


def _sample_rows(plan: EmbedderPlan, frame: SampleFrame, room: float) -> list[int] | None:
    """A stratified sample of train rows whose encode (with the test split's) fits ``room``
    seconds; None when too few rows fit for every label to have its CV folds."""
    from sklearn.model_selection import train_test_split

    assert plan.rate is not None
    n = int(0.9 * (room - plan.load_s) * plan.rate) - len(frame.test)
    labels = np.asarray(frame.labels, dtype=object)
    counts = Counter(frame.labels)
    if n >= len(frame.train) or n < max(MIN_SAMPLE_ROWS, len(counts) * frame.folds):
        return None
    idx, _ = train_test_split(
        np.arange(len(frame.train)), train_size=n, stratify=labels, random_state=0
    )
    got = Counter(labels[idx].tolist())
    if len(got) < len(counts) or min(got.values()) < frame.folds:
        return None
    return sorted(int(i) for i in idx)


def encode_sample(
    plan: EmbedderPlan,
    texts: list[str],
    text_keys: list[bytes],
    cache: EmbeddingCache,
    room: float,
    frame: SampleFrame | None,
) -> bool:
    """Encode a budget-sized stratified sample for ``plan`` (an embedder whose full encode of
    its cached part does not fit); whether it did."""
    if frame is None or not plan.rate or not _samplable(plan.key):
        return False
    rows = _sample_rows(plan, frame, room)
    if rows is None or plan.embedder is None:
        return False
    where = [frame.train[i] for i in rows] + frame.test
    start = time.perf_counter()
    encode_texts(
        plan.embedder,
        [texts[i] for i in where],
        cache,
        keys=[text_keys[i] for i in where],
        description=f"encode {plan.key} (a sample)",
    )
    plan.encode_s = time.perf_counter() - start
    plan.sample, plan.rows = rows, len(rows)
    plan.reason = (
        f"the full encode needs ~{plan.estimated_s:.0f}s; a stratified sample of {len(rows):,} "
        f"of {len(frame.train):,} train rows (and the test split) fits: its trials and refit "
        "use those rows"
    )
    log.warning("embedder %s on a sample: %s", plan.key, plan.reason)
    return True


def _samplable(key: str) -> bool:
    """A cached embedder, or a hybrid whose fitted part fits on any rows (its cached part is
    what the sample encodes)."""
    spec = EMBEDDERS[key]
    return spec.cls.cacheable or bool(spec.parts)


def share_sample(plan: EmbedderPlan, owner: EmbedderPlan) -> None:
    """``plan`` runs on the rows ``owner`` encoded for the cache space they share."""
    assert owner.sample is not None
    plan.sample, plan.rows = list(owner.sample), owner.rows
    plan.encode_s = 0.0
    plan.reason = (
        f"the sample the {owner.key} plan encoded ({owner.rows:,} stratified train rows and "
        "the test split) is what fits this budget of its cached part: its trials and refit "
        "use those rows"
    )
    log.warning("embedder %s on a sample: %s", plan.key, plan.reason)
