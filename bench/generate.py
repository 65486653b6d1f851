"""Generation. ``--part warm``: the generator `gen train --timeout T` writes from each start
(--models, default scratch and the warm-started minilm) on the same 4,000 short English texts
(movie-review snippets), each scored on 300 unseen ones for bits per character outside textops
(plain transformers), with samples at the default setting (distinct-2, e5 diversity, copies of
training texts), train steps/s and sampling tokens/s; ratios against the from-scratch model of
the same run. Usage: python bench/generate.py --part warm [--timeout 300]

``--part sampling``: batched sampling (textops' Generator: every prompt of a setting in one
``generate`` call with left padding and the KV cache) against a plain ``model.generate`` loop
one prompt at a time (the baseline, same model, same settings, same run); and `gen eval`'s
throughput.

The generator is the default from-scratch GPT-2 (4 layers, 256 wide) trained for one epoch on
the movie-review snippets (the built-in ``movie_reviews``, as a corpus with its sentiment as
the prompt), so its texts have realistic lengths; tokens/s counts the new tokens actually
generated (up to end of text).
Usage: python bench/generate.py [--part sampling] [--prompts 32] [--max-new-tokens 48]
[--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
warnings.filterwarnings("ignore")
sys.path.insert(0, str(Path(__file__).parent))


def _train(home: Path) -> Any:
    from textops.data import IngestConfig, builtin_source, ingest
    from textops.gen import GenTrainConfig, load_generator, train_generator
    from textops.track import default_tracking_uri

    ingest([builtin_source("movie_reviews")], "reviews", IngestConfig(task="generation"),
           home=home)  # fmt: skip
    t0 = time.perf_counter()
    report = train_generator(GenTrainConfig(dataset="reviews", model="scratch", epochs=1,
                                            max_length=64), home=home)  # fmt: skip
    print(f"trained {report.parameters:,} parameters in {time.perf_counter() - t0:.0f} s, "
          f"validation perplexity {report.val_perplexity:.1f}")  # fmt: skip
    return load_generator(report.model_uri, default_tracking_uri(home))


def _new_tokens(ids: Any, start: int, pad: int) -> int:
    return int((ids[:, start:] != pad).sum())


def batched(gen: Any, prompts: list[str], max_new: int, seed: int) -> tuple[float, int, list[str]]:
    from textops.gen import Decoding

    t0 = time.perf_counter()
    texts = gen.generate(
        prompts, Decoding(temperature=1.0, top_p=0.95, max_new_tokens=max_new), seed=seed
    )
    return time.perf_counter() - t0, gen.last_new_tokens, texts


def one_at_a_time(gen: Any, prompts: list[str], max_new: int, seed: int) -> tuple[float, int]:
    import torch

    from textops.gen._tokenizer import format_example

    tok, model = gen.tokenizer, gen.model
    torch.manual_seed(seed)
    tokens = 0
    t0 = time.perf_counter()
    for p in prompts:
        enc = tok([format_example(p)], return_tensors="pt", add_special_tokens=False)
        with torch.inference_mode():
            ids = model.generate(
                input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], do_sample=True,
                temperature=1.0, top_p=0.95, max_new_tokens=max_new,
                pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
            )  # fmt: skip
        tokens += _new_tokens(ids, enc["input_ids"].shape[1], tok.pad_token_id)
    return time.perf_counter() - t0, tokens


def warm(args: argparse.Namespace) -> None:
    import _gen_quality as q
    from textops.data import IngestConfig, MemorySource, builtin_source, ingest

    texts = [t for t, _ in builtin_source("movie_reviews").rows if t]
    train_texts, held_out = q.split_corpus(texts, args.texts, args.held_out)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        os.environ["TEXTOPS_HOME"] = str(home)
        ingest([MemorySource("corpus", [(t, None) for t in train_texts])], "corpus",
               IngestConfig(task="generation"), home=home)  # fmt: skip
        for model in args.models.split(","):
            trained = q.train(model, "corpus", home, args.timeout)
            rows.append((trained, q.quality(trained, held_out, train_texts, args.samples)))
            print(f"{model}: {trained.epochs} epochs in {trained.seconds:.0f} s, bits/char "
                  f"{rows[-1][1].bits_per_char:.3f}", flush=True)  # fmt: skip
    print(f"\n## gen train --timeout {args.timeout:g} on {len(train_texts):,} texts, "
          f"{len(held_out)} unseen, {os.cpu_count()} cores")  # fmt: skip
    table = q.table(rows)
    for row in table:
        print("  ".join(f"{k} {v}" for k, v in row.items()))
    for trained, quality in rows:
        print(f"\n### {trained.model}: samples at the default setting")
        for text in quality.samples[:8]:
            print(f"- {text}")
    print(json.dumps(table))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=["sampling", "warm"], default="sampling")
    ap.add_argument("--prompts", type=int, default=32)
    ap.add_argument("--max-new-tokens", type=int, default=48)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=300.0, help="--part warm: gen train's")
    ap.add_argument("--models", default="scratch,minilm", help="--part warm: the starts")
    ap.add_argument("--texts", type=int, default=4000, help="--part warm: training texts")
    ap.add_argument("--held-out", type=int, default=300, help="--part warm: unseen texts")
    ap.add_argument("--samples", type=int, default=200, help="--part warm: texts sampled")
    args = ap.parse_args()
    if args.part == "warm":
        warm(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        os.environ["TEXTOPS_HOME"] = str(home)
        gen = _train(home)
        prompts = (["positive", "negative"] * args.prompts)[: args.prompts]
        one_at_a_time(gen, prompts[:2], 4, 0)  # warm
        rates: dict[str, list[float]] = {"batched": [], "one_at_a_time": []}
        texts: list[str] = []
        for r in range(args.rounds):  # interleaved: the machine's drift hits both alike
            s, n, texts = batched(gen, prompts, args.max_new_tokens, r)
            rates["batched"].append(n / s)
            s, n = one_at_a_time(gen, prompts, args.max_new_tokens, r)
            rates["one_at_a_time"].append(n / s)
        b, o = (statistics.mean(rates[k]) for k in ("batched", "one_at_a_time"))
        print(f"\n## sampling, {args.prompts} prompts x {args.max_new_tokens} new tokens, "
              f"{os.cpu_count()} cores, {args.rounds} interleaved rounds")  # fmt: skip
        print(f"batched {b:,.0f} tokens/s   one prompt at a time {o:,.0f} tokens/s (baseline)  "
              f"ratio {b / o:.2f}x")  # fmt: skip
        from textops.gen import Generation, evaluate_generations

        gens = [Generation("g", p, 1.0, 0.95, 0, i, t)
                for i, (p, t) in enumerate(zip(prompts, texts, strict=True))]  # fmt: skip
        gens = gens * 4
        t0 = time.perf_counter()
        evaluate_generations(gens, tracking_uri="sqlite://", generator=gen)
        ev = len(gens) / (time.perf_counter() - t0)
        print(f"gen eval (e5 diversity, distinct-n, self-BLEU, perplexity): {ev:,.1f} texts/s")
        print(json.dumps({"batched_tokens_per_s": b, "one_at_a_time_tokens_per_s": o,
                          "ratio": b / o, "eval_texts_per_s": ev}))  # fmt: skip


if __name__ == "__main__":
    main()
