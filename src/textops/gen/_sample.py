"""Sampling sweeps: every prompt x (temperature, top_p) setting, ``n`` texts each, written as
JSON lines (prompt, settings, seed, text) for ``gen eval``. A setting's texts are generated in
batches with one seed, so the same command writes the same file."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

__all__ = ["Generation", "TextSource", "read_generations", "sweep", "write_generations"]


class TextSource(Protocol):
    """What a sweep samples from: a textops :class:`Generator` or an endpoint client."""

    def generate(
        self,
        prompts: Sequence[str],
        *,
        temperature: float | None = None,
        top_p: float | None = None,
        max_new_tokens: int | None = None,
        seed: int = 0,
        batch_size: int = 32,
        num_beams: int = 1,
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

    @property
    def setting(self) -> str:
        beams = f",beams={self.num_beams}" if self.num_beams > 1 else ""
        return f"t={self.temperature:g},p={self.top_p:g}{beams}"


def sweep(
    source: TextSource,
    model: str,
    prompts: Sequence[str],
    temperatures: Sequence[float],
    top_ps: Sequence[float],
    *,
    n: int = 1,
    seed: int = 0,
    max_new_tokens: int | None = None,
    batch_size: int = 32,
    num_beams: int = 1,
) -> Iterator[Generation]:
    for k, (t, p) in enumerate(itertools.product(temperatures, top_ps)):
        batch = [(prompt, i) for prompt in prompts for i in range(n)]
        texts = source.generate(
            [prompt for prompt, _ in batch], temperature=t, top_p=p,
            max_new_tokens=max_new_tokens, seed=seed + k, batch_size=batch_size,
            num_beams=num_beams,
        )  # fmt: skip
        for (prompt, i), text in zip(batch, texts, strict=True):
            yield Generation(model, prompt, t, p, seed + k, i, text, num_beams)


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
