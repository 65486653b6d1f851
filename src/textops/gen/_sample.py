"""Sampling sweeps: every prompt x (temperature, top_p) setting (the other decoding choices
fixed), ``n`` texts each, written as JSON lines (prompt, settings, seed, text) for
``gen eval``. A setting's texts are generated in batches with one seed, so the same command
writes the same file."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Protocol

from textops.gen._decoding import Decoding

__all__ = ["Generation", "TextSource", "read_generations", "sweep", "write_generations"]


class TextSource(Protocol):
    """What a sweep samples from: a textops :class:`Generator` or an endpoint client."""

    def generate(
        self,
        prompts: Sequence[str],
        decoding: Decoding | None = None,
        *,
        seed: int = 0,
        batch_size: int = 32,
    ) -> list[str]: ...


@dataclass(frozen=True)
class Generation:
    model: str
    prompt: str
    temperature: float
    top_p: float
    seed: int
    sample: int
    text: str
    num_beams: int = 1
    top_k: int = 0
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0

    @property
    def decoding(self) -> Decoding:
        return Decoding(
            temperature=self.temperature, top_p=self.top_p, top_k=self.top_k,
            num_beams=self.num_beams, repetition_penalty=self.repetition_penalty,
            no_repeat_ngram_size=self.no_repeat_ngram_size,
        )  # fmt: skip

    @property
    def setting(self) -> str:
        return self.decoding.label


def sweep(
    source: TextSource,
    model: str,
    prompts: Sequence[str],
    temperatures: Sequence[float],
    top_ps: Sequence[float],
    *,
    n: int = 1,
    seed: int = 0,
    decoding: Decoding | None = None,
    batch_size: int = 32,
) -> Iterator[Generation]:
    """``decoding``'s other choices (top-k, beams, penalties, new tokens) hold for every
    setting."""
    base = decoding or Decoding()
    for k, (t, p) in enumerate(itertools.product(temperatures, top_ps)):
        how = replace(base, temperature=t, top_p=p)
        batch = [(prompt, i) for prompt in prompts for i in range(n)]
        texts = source.generate(
            [prompt for prompt, _ in batch], how, seed=seed + k, batch_size=batch_size
        )
        for (prompt, i), text in zip(batch, texts, strict=True):
            yield Generation(model, prompt, t, p, seed + k, i, text, how.num_beams, how.top_k,
                             how.repetition_penalty, how.no_repeat_ngram_size)  # fmt: skip


def write_generations(gens: Iterator[Generation], path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as fh:
        for g in gens:
            fh.write(json.dumps(asdict(g), ensure_ascii=False) + "\n")
            count += 1
    return count


def read_generations(path: Path) -> list[Generation]:
    from textops.errors import DataFormatError

    out = []
    for i, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(Generation(**json.loads(line)))
        except (ValueError, TypeError) as exc:
            raise DataFormatError(f"{path}:{i}: not a generation record ({exc})") from exc
    return out
