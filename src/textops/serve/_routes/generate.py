"""POST /v1/generate: a served generator continues each prompt ``n`` times, under the
predict route's key and limits (prompts x n count against --max-texts, each prompt against
--max-chars; new tokens are capped by --max-new-tokens). Generation runs in a worker thread,
one request at a time per model; tokens produced are counted in ``/metrics``."""

from __future__ import annotations

import os
import time
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from textops.errors import PayloadTooLargeError, WrongModelKindError
from textops.serve._routes.predict import apply_limits
from textops.serve._schemas import ERRORS, GenerateRequest, GenerateResponse
from textops.serve._state import ServiceState, check_key

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
    model = state.holder.get()
    if model.kind != "generator":
        raise WrongModelKindError(f"{model.uri} is a classifier: POST /v1/predict")
    gen = model.generator
    temperature = gen.sampling.temperature if body.temperature is None else body.temperature
    top_p = body.top_p or gen.sampling.top_p
    seed = body.seed if body.seed is not None else int.from_bytes(os.urandom(4), "big") >> 1
    max_new = await run_in_threadpool(_new_tokens, gen, prompts, body.max_new_tokens, settings)
    batch = [p for p in prompts for _ in range(body.n)]

    def run() -> tuple[list[str], int]:
        with model.lock:
            texts = gen.generate(batch, temperature=temperature, top_p=top_p,
                                 max_new_tokens=max_new, seed=seed,
                                 num_beams=body.num_beams)  # fmt: skip
            return texts, gen.last_new_tokens

    t0 = time.perf_counter()
    texts, tokens = await run_in_threadpool(run)
    state.metrics.generate_seconds.observe(time.perf_counter() - t0)
    state.metrics.generated_tokens.inc(tokens)
    return GenerateResponse.model_validate({
        "model": {"name": model.name, "version": model.version},
        "temperature": temperature, "top_p": top_p, "max_new_tokens": max_new, "seed": seed,
        "num_beams": body.num_beams,
        "generations": [{"prompt": p, "texts": texts[i * body.n : (i + 1) * body.n]}
                        for i, p in enumerate(prompts)],
    })  # fmt: skip
