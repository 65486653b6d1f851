"""Budget-aware encoding: encode up front only what fits in the budget.

Cached embeddings cost nothing. For the rest, the encode rate comes from this machine's memory
of earlier measurements (``EncodeRates``, next to the cache), or a small sample encoded now and
remembered; an embedder whose remaining encode cannot finish inside the budget is left out of
the search (and says so) instead of starting an encode that would overrun ``--timeout``.

An embedder whose full encode does not fit is still a candidate on the rows that fit
(``_plan_sample``); the plan says how many rows each embedder saw (``rows``). Embedders are
planned cheapest first; a set no bigger than a rate sample (a few labelled rows) is encoded
while it is timed.

A search bounded by trials only encodes nothing here: each trial encodes (into the cache) the
embedder it samples when it first needs it, so a 4-trial search pays for the embedders its 4
trials reach, not for every one it could have sampled.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from textops.embed import EMBEDDERS, Embedder, EmbeddingCache, encode_texts, make_embedder
from textops.errors import MissingDependencyError
from textops.search._budget import Budget
from textops.search._embedder_plan import EmbedderPlan, PlanFacts
from textops.search._plan_sample import SampleFrame, encode_sample, share_sample

__all__ = ["EmbedderPlan", "PlanFacts", "SampleFrame", "plan_embedders"]

log = logging.getLogger("textops.search")
SAMPLE = 32
#: remembered measurements whose median is trusted to leave an embedder out; with fewer, a
#: rate that would leave it out is measured again first (one taken on a busy machine can be
#: tens of times too slow)
TRUSTED_MEASUREMENTS = 3
#: texts the encode rate is measured on first (see ``_encode_rate``)
_FIRST_SAMPLE = 4


def _latency_ms(emb: Any, texts: list[str]) -> float:
    sample = texts[:8]
    emb.transform(sample[:1])  # warm-up (model load, first-call overheads)
    start = time.perf_counter()
    for t in sample:
        emb.transform([t])
    return 1000 * (time.perf_counter() - start) / max(len(sample), 1)


def _load_seconds(emb: Any, text: str) -> float:
    """Seconds the first call takes: it loads the model, and is no part of an encode rate."""
    start = time.perf_counter()
    emb.transform([text])
    return time.perf_counter() - start


def _threads(key: str) -> Any:
    """torch's threads sized to the free cores around an encode of a torch embedder (on a
    busy machine, threads for every core wait on each other: bench/busy.py)."""
    import contextlib

    spec = EMBEDDERS.get(key)
    if spec is None or spec.runtime != "torch":
        return contextlib.nullcontext()
    from textops.embed import torch_threads

    return torch_threads()


def _measure(emb: Any, sample: list[str], missing: int, left: float) -> tuple[float, float]:
    """(texts/s, seconds the model took to load)."""
    load_s = _load_seconds(emb, sample[0])
    return _encode_rate(emb, sample, missing, left), load_s


def _encode_rate(emb: Any, sample: list[str], missing: int, left: float) -> float:
    """Texts per second, on a few texts first: when those already say the encode needs more
    than twice the budget left, that is the answer (mpnet and e5 encode one or two BBC articles
    a second: a full sample would spend up to half a minute to say they cannot fit); else on
    the whole sample."""
    start = time.perf_counter()
    emb.transform(sample[:_FIRST_SAMPLE])
    rate = min(len(sample), _FIRST_SAMPLE) / max(time.perf_counter() - start, 1e-9)
    if len(sample) <= _FIRST_SAMPLE or missing / rate > 2 * left:
        return rate
    start = time.perf_counter()
    emb.transform(sample)
    return len(sample) / max(time.perf_counter() - start, 1e-9)


#: texts a per-fold-fitted embedder (TF-IDF) is fitted on to measure its latency: character
#: n-grams of long documents take seconds to fit on all of train (word + character TF-IDF on
#: 1,000 BBC articles: ~5 s, a one-off timing), per-text latency barely depends on the
#: vocabulary's size
_FIT_SAMPLE = 200


def _chars(texts: list[str], idx: list[int]) -> int:
    return sum(len(texts[i]) for i in idx)


def plan_embedders(
    keys: list[str],
    texts: list[str],
    text_keys: list[bytes],
    cache: EmbeddingCache,
    *,
    budget: Budget,
    fit_texts: list[str],
    measure_latency: bool = True,
    skip_encode: frozenset[str] = frozenset(),
    frame: SampleFrame | None = None,
    hold: Callable[[list[EmbedderPlan]], float] | None = None,
) -> list[EmbedderPlan]:
    """Decide which embedders fit the budget and fill the cache for them (cheapest first).

    Without a time limit nothing is measured or encoded (the trials encode what they use).
    ``skip_encode``: embedders no head reads embeddings of (only trained heads, which read
    texts, or none at all): planned as included, nothing encoded.
    A model whose embeddings are all cached is loaded only when ``measure_latency`` asks for its
    encode latency (the f1-latency objective); otherwise its latency stays unmeasured (None).
    ``hold``: given the plans once their rates are known, the seconds encoding must leave
    alone (a fine-tune's, ``_trained_plan``).
    """
    plans: list[EmbedderPlan] = []
    by_space: dict[str, Embedder] = {}  # one embedder (one model load) per cache space
    measured: dict[str, float] = {}  # texts/s measured in this search, by cache space
    # quickest to load, then cheapest to encode, first: a short budget (a few labelled rows,
    # where loading is most of the cost) goes to the models it can afford most of
    for key in sorted(keys, key=_plan_order):
        if key in skip_encode:
            plans.append(EmbedderPlan(key, 0, 0, None, 0.0, None, reason="no embeddings needed"))
            continue
        try:
            with _threads(key):
                plan = _plan_one(key, texts, text_keys, cache, budget, fit_texts,
                                 measure_latency, by_space, measured)  # fmt: skip
        except MissingDependencyError as exc:  # a model or an extra that is not installed
            plan = EmbedderPlan(key, 0, 0, None, 0.0, None, included=False, reason=str(exc))
            log.warning("skipping embedder %s: %s", key, exc)
        plans.append(plan)
    if budget.limited:
        if hold is not None:
            budget = replace(budget, held=hold(plans))
        _encode_what_fits(plans, texts, text_keys, cache, budget, frame, measured)
    for plan in plans:
        plan.embedder = None  # the report keeps no model
    return sorted(plans, key=lambda p: keys.index(p.key))


def _plan_order(key: str) -> tuple[float, int]:
    spec = EMBEDDERS.get(key)
    return (spec.load_s, spec.cost_rank) if spec is not None else (float("inf"), 1000)


def _plan_one(
    key: str,
    texts: list[str],
    text_keys: list[bytes],
    cache: EmbeddingCache,
    budget: Budget,
    fit_texts: list[str],
    measure_latency: bool,
    by_space: dict[str, Embedder],
    measured: dict[str, float],
) -> EmbedderPlan:
    """One embedder's plan: what is cached, and the rate its missing texts encode at
    (``measured``: rates this search measured, by cache space; filled here)."""
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
        return EmbedderPlan(key, 0, 0, None, 0.0, latency)
    held = cache.lookup(part, text_keys)
    part = by_space.setdefault(held.space, part)
    if emb.cacheable:
        emb = part
    missing_idx = np.flatnonzero(~held.found).tolist()
    sample = [texts[i] for i in missing_idx[:SAMPLE]] or texts[:SAMPLE]
    plan = EmbedderPlan(
        key, int(held.found.sum()), len(missing_idx), None, 0.0, latency,
        embedder=part,
        space=held.space,
    )  # fmt: skip
    remembered = held.remembered
    plan.missing_chars = _chars(texts, missing_idx)
    if missing_idx and held.space in measured:  # a part of another plan here (a hybrid's MiniLM)
        plan.rate, plan.rate_source = measured[held.space], "measured"
        plan.estimated_s = len(missing_idx) / plan.rate
    elif missing_idx and remembered is not None:
        plan.rate, plan.rate_source = remembered.texts_per_s, "remembered"
        plan.estimated_s = remembered.seconds(plan.missing_chars)
        plan.load_s = remembered.load_s  # still to pay before encoding
        plan.rate_measurements = remembered.count
    elif missing_idx and budget.limited:
        load_s = EMBEDDERS[key].load_s if key in EMBEDDERS else 0.0
        if (emb.loads_model or load_s) and budget.encode_room() <= load_s:
            plan.included = False
            plan.reason = (
                f"its model loads in ~{load_s:.1f}s, more than the budget has left for encoding"
                if load_s
                else "no time was left in the budget to load its model and time it"
            )
            log.warning("skipping embedder %s: %s", key, plan.reason)
            return plan
        if len(missing_idx) <= SAMPLE:  # timing the sample would encode every text: do so
            _encode_small(plan, part, texts, text_keys, missing_idx, cache)
        else:
            plan.rate, load_s = _measure(part, sample, len(missing_idx), budget.left())
            plan.rate_source = "measured"
            plan.estimated_s = len(missing_idx) / plan.rate
            measured[held.space] = plan.rate
            sample_chars = sum(len(t) for t in sample)
            cache.rates.put(
                held.space, chars=sample_chars, texts=len(sample),
                seconds=len(sample) / plan.rate, load_s=load_s,
            )  # fmt: skip
    # per-text latency: for the f1-latency objective, and to try cheap embedders first;
    # not for an encode that cannot fit the whole budget left (it is skipped below)
    # (a remembered rate orders the embedders well enough: no model loaded to time it)
    hopeless = plan.estimated_s > budget.left()
    cheap = not emb.loads_model and not budget.limited  # static vectors: milliseconds
    if emb.cacheable and (
        measure_latency or cheap or (plan.rate_source == "measured" and not hopeless)
    ):
        plan.latency_ms = _latency_ms(emb, sample)
    return plan


def _rate_origin(plan: EmbedderPlan, cache: EmbeddingCache) -> str:
    """Where a plan's rate came from, in words."""
    if plan.rate_source == "measured":
        return "measured now"
    remembered = cache.rates.get(plan.space)
    n = remembered.count if remembered is not None else 1
    return (
        f"remembered: the median of {n} measurement{'s' if n > 1 else ''} on this machine; "
        "`textops cache rates --reset` forgets them"
    )


def _measure_again(
    plan: EmbedderPlan,
    texts: list[str],
    cache: EmbeddingCache,
    budget: Budget,
    measured: dict[str, float],
) -> None:
    """Time the embedder now, when the budget has room for its load and a sample: a rate
    remembered from a busy moment must not leave a model out of every later search."""
    if plan.embedder is None or budget.encode_room() <= plan.load_s + 5.0:
        return
    sample = texts[:SAMPLE]
    with _threads(plan.key):
        rate, load_s = _measure(plan.embedder, sample, plan.missing, budget.left())
    chars = sum(len(t) for t in sample)
    cache.rates.put(plan.space, chars=chars, texts=len(sample), seconds=len(sample) / rate,
                    load_s=load_s)  # fmt: skip
    measured[plan.space] = rate
    plan.rate, plan.rate_source, plan.load_s = rate, "measured", 0.0  # loaded now
    plan.estimated_s = plan.missing / rate
    log.info("re-measured %s now: %.0f texts/s", plan.key, rate)


def _encode_small(
    plan: EmbedderPlan,
    emb: Embedder,
    texts: list[str],
    text_keys: list[bytes],
    missing_idx: list[int],
    cache: EmbeddingCache,
) -> None:
    """Encode ``missing_idx`` (no more than a rate sample) into the cache now: a few labelled
    rows cost less to encode than to time twice. The rate is this encode's, the load apart."""
    load_s = _load_seconds(emb, texts[missing_idx[0]])
    start = time.perf_counter()
    encode_texts(
        emb,
        [texts[i] for i in missing_idx],
        cache,
        keys=[text_keys[i] for i in missing_idx],
        show_progress=False,
    )
    seconds = max(time.perf_counter() - start, 1e-3)
    plan.encode_s = load_s + seconds
    plan.rate, plan.rate_source = len(missing_idx) / seconds, "measured"
    plan.cached, plan.missing, plan.estimated_s = plan.cached + plan.missing, 0, 0.0
    cache.rates.put(
        plan.space, chars=plan.missing_chars, texts=len(missing_idx), seconds=seconds,
        load_s=load_s,
    )  # fmt: skip


def _encode_what_fits(
    plans: list[EmbedderPlan],
    texts: list[str],
    text_keys: list[bytes],
    cache: EmbeddingCache,
    budget: Budget,
    frame: SampleFrame | None = None,
    measured: dict[str, float] | None = None,
) -> None:
    """Fill the cache for the embedders whose encode fits the budget left (cheapest first);
    encode a stratified sample for those that do not (``frame``); mark the others left out,
    with the reason. A remembered rate that would leave an embedder out is measured again
    first (it may have been taken on a busy machine). Each encode's rate is remembered."""
    filled: set[str] = set()  # cache spaces encoded here (MiniLM, and a hybrid's MiniLM part)
    sampled: dict[str, EmbedderPlan] = {}  # cache spaces encoded for a sample, by the plan
    measured = {} if measured is None else measured
    for plan in sorted(plans, key=lambda p: p.estimated_s):
        if plan.missing == 0 or plan.space in filled or not plan.included:
            continue
        if plan.space in sampled:  # MiniLM and the hybrid whose part it is: the same rows
            share_sample(plan, sampled[plan.space])
            continue
        room = budget.encode_room()
        if (
            plan.estimated_s > room
            and plan.rate_source == "remembered"
            and plan.rate_measurements < TRUSTED_MEASUREMENTS
        ):
            _measure_again(plan, texts, cache, budget, measured)
        if plan.estimated_s > room and encode_sample(plan, texts, text_keys, cache, room, frame):
            sampled[plan.space] = plan
            continue
        if plan.estimated_s > room:
            plan.included = False
            plan.reason = (
                f"encoding {plan.missing:,} texts needs ~{plan.estimated_s:.0f}s "
                f"at {plan.rate:.0f} texts/s ({_rate_origin(plan, cache)}); only "
                f"{max(room, 0):.0f}s of the budget are left for encoding"
            )
            log.warning("skipping embedder %s: %s", plan.key, plan.reason)
            continue
        assert plan.embedder is not None  # a plan with texts to encode has its embedder
        start = time.perf_counter()
        with _threads(plan.key):
            encode_texts(
                plan.embedder, texts, cache, keys=text_keys, description=f"encode {plan.key}"
            )
        plan.encode_s = time.perf_counter() - start
        filled.add(plan.space)
        # the whole encode is the best measurement of the rate (a remembered model's load is
        # inside it)
        load_s = plan.load_s
        cache.rates.put(
            plan.space,
            chars=plan.missing_chars,
            texts=plan.missing,
            seconds=max(plan.encode_s - load_s, 1e-3),
            load_s=load_s,
        )
