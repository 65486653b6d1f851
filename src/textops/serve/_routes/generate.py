"""POST /v1/generate: a served generator continues each prompt ``n`` times, under the
predict route's key and limits (prompts x n count against --max-texts, each prompt against
--max-chars; new tokens are capped by --max-new-tokens). Generation runs in a worker thread,
one request at a time per model; tokens produced are counted in ``/metrics``."""

from __future__ import annotations

import asyncio
import os
import time
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from textops.errors import PayloadTooLargeError, WrongModelKindError
from textops.serve._gen_schemas import GeneratorOverview, Sweep, SweepSetting, finite
from textops.serve._routes.monitor import ModelParam
from textops.serve._routes.predict import apply_limits
from textops.serve._schemas import ERRORS, GenerateRequest, GenerateResponse
from textops.serve._state import ServiceState, State, check_key, require_key

if TYPE_CHECKING:
    from textops.gen import GenEvalReport
    from textops.serve._swap import ModelHolder

router = APIRouter()


def _new_tokens(gen: Any, prompts: list[str], asked: int | None, settings: Any) -> int:
    """New tokens per text: as asked, or the model's default within the server's cap and what
    the longest prompt leaves of the model's context; a 413 naming the field when a prompt
    with them does not fit (before the model indexes past its positions)."""
    if asked is None:
        longest = 0 if gen.seq2seq else max(gen.prompt_tokens(prompts))
        room = gen.context - longest
        asked = max(1, min(gen.sampling.max_new_tokens, settings.max_new_tokens, room))
    gen.check_fits(prompts, asked)
    return int(asked)


@router.post(
    "/v1/generate",
    response_model=GenerateResponse,
    tags=["generate"],
    responses=ERRORS,
    openapi_extra={"security": [{"APIKeyHeader": []}]},
)
async def generate(body: GenerateRequest, request: Request) -> GenerateResponse:
    """Sampled continuations of each prompt, in input order (``n`` per prompt)."""
    state: ServiceState = request.app.state.service
    check_key(state, request.headers.get("x-api-key"))
    return await _generate(state, state.holder, body)


@router.post(
    "/v1/models/{name}/generate",
    response_model=GenerateResponse,
    tags=["generate"],
    responses=ERRORS,
    openapi_extra={"security": [{"APIKeyHeader": []}]},
)
async def generate_with(name: str, body: GenerateRequest, request: Request) -> GenerateResponse:
    """/v1/generate on the served model ``name``."""
    state: ServiceState = request.app.state.service
    check_key(state, request.headers.get("x-api-key"))
    return await _generate(state, state.slot(name).holder, body)


async def _generate(
    state: ServiceState, holder: ModelHolder, body: GenerateRequest
) -> GenerateResponse:
    settings = state.settings
    prompts = apply_limits(body.prompts, settings, state.metrics, "prompts")
    if len(prompts) * body.n * body.num_beams > settings.max_texts:
        beams = f" x num_beams={body.num_beams}" if body.num_beams > 1 else ""
        raise PayloadTooLargeError(
            f"n: {len(prompts)} prompts x n={body.n}{beams} is over the limit of "
            f"{settings.max_texts} texts per request; lower n or split the request"
        )
    if body.max_new_tokens is not None and body.max_new_tokens > settings.max_new_tokens:
        raise PayloadTooLargeError(
            f"max_new_tokens: {body.max_new_tokens} is over the server's limit of "
            f"{settings.max_new_tokens} (--max-new-tokens)"
        )
    model = holder.get()
    if model.kind != "generator":
        raise WrongModelKindError(f"{model.uri} is a classifier: POST /v1/predict")
    gen = model.generator
    seed = body.seed if body.seed is not None else int.from_bytes(os.urandom(4), "big") >> 1
    max_new = await run_in_threadpool(_new_tokens, gen, prompts, body.max_new_tokens, settings)
    from textops.gen import Decoding

    batch = [p for p in prompts for _ in range(body.n)]
    how = Decoding(
        temperature=body.temperature, top_p=body.top_p, top_k=body.top_k,
        num_beams=body.num_beams, repetition_penalty=body.repetition_penalty,
        no_repeat_ngram_size=body.no_repeat_ngram_size, max_new_tokens=max_new,
    ).resolved(gen.sampling)  # fmt: skip

    def run() -> tuple[list[str], int]:
        with model.lock:
            texts = gen.generate(batch, how, seed=seed)
            return texts, gen.last_new_tokens

    t0 = time.perf_counter()
    texts, tokens = await run_in_threadpool(run)
    state.metrics.generate_seconds.observe(time.perf_counter() - t0)
    state.metrics.generated_tokens.inc(tokens)
    return GenerateResponse.model_validate({
        "model": {"name": model.name, "version": model.version},
        "temperature": how.temperature, "top_p": how.top_p, "max_new_tokens": max_new,
        "seed": seed, "num_beams": how.num_beams, "top_k": how.top_k,
        "repetition_penalty": how.repetition_penalty,
        "no_repeat_ngram_size": how.no_repeat_ngram_size,
        "generations": [{"prompt": p, "texts": texts[i * body.n : (i + 1) * body.n]}
                        for i, p in enumerate(prompts)],
    })  # fmt: skip


@router.get(
    "/v1/generate/overview", tags=["generate"], responses=ERRORS,
    dependencies=[Depends(require_key)],
)  # fmt: skip
async def overview(state: State, model: ModelParam = None) -> GeneratorOverview:
    """The served generator's latest ``gen eval`` sweep (scores and texts per decoding
    setting) and its live counters, for the dashboard's generator view."""
    from textops.gen import latest_eval
    from textops.track import default_tracking_uri

    uri = state.settings.tracking_uri or default_tracking_uri(state.settings.home)
    served = state.slot(model).holder.get()
    if served.kind != "generator":
        raise WrongModelKindError(f"{served.uri} is a classifier: it has no sweep")
    name = str(served.name or served.uri)
    report = await asyncio.to_thread(latest_eval, uri, name)
    sample = state.metrics.registry.get_sample_value
    return GeneratorOverview(
        model=name, sweep=None if report is None else _sweep(report),
        note="" if report is not None else (
            f"no `gen eval` logged for {name} yet: textops gen sample models:/{name}@champion "
            "--output gens.jsonl, then textops gen eval gens.jsonl"),
        requests=sample("textops_generate_seconds_count") or 0.0,
        seconds=sample("textops_generate_seconds_sum") or 0.0,
        tokens=sample("textops_generated_tokens_total") or 0.0,
    )  # fmt: skip


def _sweep(report: GenEvalReport) -> Sweep:
    return Sweep(
        run_id=report.run_id, generator_uri=report.generator, embedder=report.embedder,
        best=report.best, best_reason=report.best_reason,
        settings=[SweepSetting(
            setting=s.setting, temperature=s.temperature, top_p=s.top_p, n=s.n,
            diversity=finite(s.diversity), distinct_2=s.distinct_2,
            self_bleu=finite(s.self_bleu), quality=s.quality, perplexity=finite(s.perplexity),
            copies=s.copies, examples=list(s.examples),
        ) for s in report.settings],
    )  # fmt: skip
