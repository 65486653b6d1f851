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
#: texts the encode rate is measured on first (see ``_encode_rate``)
_FIRST_SAMPLE = 4
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


def _encode_rate(emb: Any, sample: list[str], missing: int, left: float | None) -> float:
    """Texts per second, on a few texts first: when those already say the encode needs more
    than twice the budget left, that is the answer (mpnet and e5 encode one or two BBC articles
    a second: a full sample would spend up to half a minute to say they cannot fit); else on
    the whole sample."""
    start = time.perf_counter()
    emb.transform(sample[:_FIRST_SAMPLE])
    rate = min(len(sample), _FIRST_SAMPLE) / max(time.perf_counter() - start, 1e-9)
    if len(sample) <= _FIRST_SAMPLE or (left is not None and missing / rate > 2 * left):
        return rate
    start = time.perf_counter()
    emb.transform(sample)
    return len(sample) / max(time.perf_counter() - start, 1e-9)


#: texts a per-fold-fitted embedder (TF-IDF) is fitted on to measure its latency: character
#: n-grams of long documents take seconds to fit on all of train (word + character TF-IDF on
#: 1,000 BBC articles: ~5 s, a one-off timing), per-text latency barely depends on the
#: vocabulary's size
_FIT_SAMPLE = 200


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
    by_space: dict[str, Any] = {}  # one embedder (one model load) per cache space
    for key in keys:
        emb = make_embedder(key)
        # what goes into the cache: the embedder itself, or a hybrid's cacheable part (the
        # same object as that embedder's own plan, when both are planned: MiniLM loads once)
        part = emb if emb.cacheable else next(iter(emb.cached_parts()), None)
        latency = None
        if not emb.cacheable and (measure_latency or not emb.loads_model):
            # TF-IDF: fitted per fold; here on a sample, to time it (a hybrid's model is loaded
            # only when the objective needs its latency)
            emb.fit(fit_texts[:_FIT_SAMPLE])
            latency = _latency_ms(emb, texts)
        if part is None:
            plans.append(EmbedderPlan(key, 0, 0, None, 0.0, latency))
            continue
        space = cache.space_for(part)
        part = by_space.setdefault(space.id, part)
        if emb.cacheable:
            emb = part
        _, found = space.get(text_keys)
        missing_idx = [i for i, hit in enumerate(found) if not hit]
        sample = [texts[i] for i in missing_idx[:SAMPLE]] or texts[:SAMPLE]
        rate = None
        estimated = 0.0
        if missing_idx:
            part.transform(sample[:1])  # warm-up: the model load is not the encode rate
            left = None if deadline is None else deadline - time.monotonic()
            rate = _encode_rate(part, sample, len(missing_idx), left)
            estimated = len(missing_idx) / rate
        # per-text latency: for the f1-latency objective, and to try cheap embedders first;
        # not for an encode that cannot fit the whole budget left (it is skipped below)
        hopeless = deadline is not None and estimated > deadline - time.monotonic()
        if emb.cacheable and (measure_latency or (missing_idx and not hopeless)):
            latency = _latency_ms(emb, sample)
        plans.append(
            EmbedderPlan(
                key,
                int(found.sum()),
                len(missing_idx),
                rate,
                estimated,
                latency,
                extra={"embedder": part, "space": space.id},
            )
        )
    now = time.monotonic()
    filled: set[str] = set()  # cache spaces encoded here (MiniLM, and a hybrid's MiniLM part)
    for plan in sorted(plans, key=lambda p: p.estimated_s):
        if plan.missing == 0:
            continue
        if plan.extra["space"] in filled:
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
        filled.add(plan.extra["space"])
    for plan in plans:
        plan.extra.clear()
    return plans
