"""Budget-aware encoding: measure each embedder's rate, encode only what fits in the budget.

Cached embeddings cost nothing. For the rest, a small sample is encoded to measure the rate; an
embedder whose remaining encode cannot finish inside the budget is left out of the search (and
says so) instead of starting an encode that would overrun ``--timeout``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from textops.embed import EmbeddingCache, encode_texts, make_embedder

__all__ = ["EmbedderPlan", "plan_embedders"]

log = logging.getLogger("textops.search")
SAMPLE = 32
#: share of the budget kept for trials after encoding
TRIAL_RESERVE = 0.3


@dataclass
class EmbedderPlan:
    key: str
    cached: int
    missing: int
    rate: float | None  # texts/s measured on a sample (None: not measured, nothing to encode)
    estimated_s: float
    latency_ms: float | None  # per-text encode latency, one at a time (None: not measured)
    included: bool = True
    reason: str = ""
    encode_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def _latency_ms(emb: Any, texts: list[str]) -> float:
    sample = texts[:8]
    emb.transform(sample[:1])  # warm-up (model load, first-call overheads)
    start = time.perf_counter()
    for t in sample:
        emb.transform([t])
    return 1000 * (time.perf_counter() - start) / max(len(sample), 1)


#: texts a per-fold-fitted embedder (TF-IDF) is fitted on to measure its latency: character
#: n-grams of long documents take seconds to fit on all of train, per-text latency barely
#: depends on the vocabulary's size
_FIT_SAMPLE = 1000


def plan_embedders(
    keys: list[str],
    texts: list[str],
    text_keys: list[bytes],
    cache: EmbeddingCache,
    *,
    deadline: float | None,
    fit_texts: list[str],
    measure_latency: bool = True,
) -> list[EmbedderPlan]:
    """Decide which embedders fit the budget and fill the cache for them (cheapest first).

    A model whose embeddings are all cached is loaded only when ``measure_latency`` asks for its
    encode latency (the f1-latency objective); otherwise its latency stays unmeasured (None).
    """
    plans: list[EmbedderPlan] = []
    for key in keys:
        emb = make_embedder(key)
        if not emb.cacheable:  # TF-IDF: fitted per fold; here on a sample, to time it
            emb.fit(fit_texts[:_FIT_SAMPLE])
            plans.append(EmbedderPlan(key, 0, 0, None, 0.0, _latency_ms(emb, texts)))
            continue
        space = cache.space_for(emb)
        _, found = space.get(text_keys)
        missing_idx = [i for i, hit in enumerate(found) if not hit]
        sample = [texts[i] for i in missing_idx[:SAMPLE]] or texts[:SAMPLE]
        latency = _latency_ms(emb, sample) if missing_idx or measure_latency else None
        rate = None
        estimated = 0.0
        if missing_idx:
            start = time.perf_counter()
            emb.transform(sample)
            rate = len(sample) / max(time.perf_counter() - start, 1e-9)
            estimated = len(missing_idx) / rate
        plans.append(
            EmbedderPlan(
                key,
                int(found.sum()),
                len(missing_idx),
                rate,
                estimated,
                latency,
                extra={"embedder": emb},
            )
        )
    now = time.monotonic()
    for plan in sorted(plans, key=lambda p: p.estimated_s):
        if plan.missing == 0:
            continue
        if deadline is not None:
            room = (deadline - time.monotonic()) - TRIAL_RESERVE * (deadline - now)
            if plan.estimated_s > room:
                plan.included = False
                plan.reason = (
                    f"encoding {plan.missing:,} texts needs ~{plan.estimated_s:.0f}s "
                    f"at {plan.rate:.0f} texts/s; only {max(room, 0):.0f}s of the "
                    "budget are left for encoding"
                )
                log.warning("skipping embedder %s: %s", plan.key, plan.reason)
                continue
        start = time.perf_counter()
        encode_texts(
            plan.extra["embedder"], texts, cache, keys=text_keys, description=f"encode {plan.key}"
        )
        plan.encode_s = time.perf_counter() - start
    for plan in plans:
        plan.extra.clear()
    return plans
