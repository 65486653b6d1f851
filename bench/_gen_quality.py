"""What a generator trained for a fixed time is worth, for bench/generate.py --part warm:
held-out bits per character scored outside textops (the registered folder loaded with the
transformers Auto classes and a forward pass written here, not textops' own scorer), and
samples at the default setting: distinct-2, e5 diversity, copies of training texts."""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: the prompt format a textops causal generator reads (see its generator.json's tokenizer)
BOS, SEP, EOS = "<|bos|>", "<|sep|>", "<|endoftext|>"


@dataclass(frozen=True)
class Trained:
    model: str
    parameters: int
    seconds: float
    steps: int
    train_seconds: float
    epochs: int
    folder: Path
    uri: str


@dataclass(frozen=True)
class Quality:
    bits_per_char: float
    textops_bits_per_char: float
    distinct_2: float
    e5_diversity: float
    copies: float
    tokens_per_s: float
    samples: list[str]


def split_corpus(
    texts: list[str], n_train: int, n_held: int, seed: int = 0
) -> tuple[list[str], list[str]]:
    """``n_train`` texts to train on and ``n_held`` others, never seen, to score."""
    pool = sorted(set(texts))
    random.Random(seed).shuffle(pool)
    return pool[:n_train], pool[n_train : n_train + n_held]


def train(model: str, dataset: str, home: Path, timeout: float) -> Trained:
    """``textops gen train DATASET --model MODEL --timeout T`` as a user runs it (defaults
    otherwise), registered under a name per model."""
    from textops.gen import GenTrainConfig, train_generator
    from textops.track import default_tracking_uri, download_model

    began = time.monotonic()
    cfg = GenTrainConfig(dataset=dataset, model=model, timeout=timeout, epochs=100,
                         model_name=f"gen-{Path(model).name}")  # fmt: skip
    report = train_generator(cfg, home=home, started=began)
    assert report.model_uri is not None
    folder = download_model(report.model_uri, default_tracking_uri(home))
    return Trained(model, report.parameters, report.seconds,
                   sum(e.steps for e in report.epochs),
                   sum(e.train_seconds for e in report.epochs), len(report.epochs), folder,
                   report.model_uri)  # fmt: skip


def bits_per_char_outside(folder: Path, texts: list[str], batch: int = 16) -> float:
    """Summed negative log2-likelihood of each text and its end-of-text token, after the
    empty prompt, over the texts' characters: plain transformers, no textops code."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True).eval()
    nats = 0.0
    for i in range(0, len(texts), batch):
        for text in texts[i : i + batch]:
            head = tok(BOS + SEP, add_special_tokens=False)["input_ids"]
            body = tok(text + EOS, add_special_tokens=False)["input_ids"]
            ids = torch.tensor([head + body])
            with torch.inference_mode():
                logits = model(input_ids=ids).logits[0, :-1].float()
            logp = torch.log_softmax(logits, -1)
            targets = ids[0, 1:]
            scored = logp[torch.arange(len(targets)), targets][len(head) - 1 :]
            nats -= float(scored.sum())
    return nats / math.log(2) / sum(len(t) for t in texts)


def quality(
    trained: Trained, held_out: list[str], train_texts: list[str], n_samples: int
) -> Quality:
    from textops.embed import encode_texts, make_embedder
    from textops.gen import Decoding, Generator, distinct_n, embedding_diversity

    gen = Generator.load(trained.folder)
    mine = gen.bits_per_char(held_out, [""] * len(held_out))
    outside = bits_per_char_outside(trained.folder, held_out)
    t0 = time.perf_counter()
    samples = gen.generate([""] * n_samples, Decoding(), seed=0)  # the model's default setting
    rate = gen.last_new_tokens / (time.perf_counter() - t0)
    vectors = encode_texts(make_embedder("e5").fit([]), samples, None, show_progress=False)
    seen = {_norm(t) for t in train_texts}
    return Quality(
        bits_per_char=outside, textops_bits_per_char=mine, distinct_2=distinct_n(samples, 2),
        e5_diversity=embedding_diversity(vectors.vectors),
        copies=sum(_norm(s) in seen for s in samples) / len(samples), tokens_per_s=rate,
        samples=samples,
    )  # fmt: skip


def _norm(text: str) -> str:
    """Case and spacing aside (an uncased model writes lower case)."""
    return " ".join(text.lower().split())


def table(rows: list[tuple[Trained, Quality]]) -> list[dict[str, Any]]:
    base = next(q for t, q in rows if t.model == "scratch")
    out = []
    for t, q in rows:
        out.append({
            "model": t.model, "parameters": t.parameters, "seconds": round(t.seconds, 1),
            "epochs": t.epochs, "train_steps_per_s": round(t.steps / max(t.train_seconds, 1e-9), 2),
            "bits_per_char": round(q.bits_per_char, 4),
            "bpc_vs_scratch": round(q.bits_per_char / base.bits_per_char, 3),
            "textops_bits_per_char": round(q.textops_bits_per_char, 4),
            "distinct_2": round(q.distinct_2, 3), "e5_diversity": round(q.e5_diversity, 4),
            "copies": round(q.copies, 3), "sampling_tokens_per_s": round(q.tokens_per_s, 1),
        })  # fmt: skip
    return out
