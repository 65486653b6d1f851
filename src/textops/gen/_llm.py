"""An LLM behind an OpenAI-compatible endpoint, as a source of training examples and as a
classifier. Answers are cached under the home by the hash of (endpoint, model, prompt), so a
rerun costs nothing and a search that reuses the rows is reproducible; nothing calls out unless
an endpoint is given.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from textops._home import home_dir
from textops.data import Dataset, SyntheticProvenance, SyntheticRows
from textops.gen._decoding import Decoding
from textops.gen._endpoint import EndpointGenerator

__all__ = ["LLMClassifier", "generate_examples", "synthesize", "synthesize_missing"]

EXAMPLES_PROMPT = (
    'Write {n} different, realistic short texts that belong to the class "{label}" of a text '
    "classification dataset. The classes are: {labels}. Examples of this class:\n{examples}\n"
    "Answer with one text per line and nothing else."
)
CLASSIFY_PROMPT = (
    "Classify the text into exactly one of these labels: {labels}.\n{examples}"
    "Text: {text}\nAnswer with the label only."
)


class _Cache:
    def __init__(self, home: str | Path | None) -> None:
        self.folder = home_dir(home) / "llm_cache"

    @staticmethod
    def key(endpoint: EndpointGenerator, prompt: str, seed: int) -> str:
        blob = json.dumps([endpoint.url, endpoint.model, prompt, seed])
        return hashlib.sha256(blob.encode()).hexdigest()

    def get(self, key: str) -> str | None:
        path = self.folder / key[:2] / f"{key}.json"
        return json.loads(path.read_text("utf-8"))["answer"] if path.exists() else None

    def put(self, key: str, answer: str) -> None:
        path = self.folder / key[:2] / f"{key}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"answer": answer}), "utf-8")
        tmp.replace(path)


def _ask(
    endpoint: EndpointGenerator, cache: _Cache, prompt: str, seed: int, temperature: float | None
) -> tuple[str, bool]:
    key = cache.key(endpoint, prompt, seed)
    hit = cache.get(key)
    if hit is not None:
        return hit, True
    answer = endpoint.generate([prompt], Decoding(temperature=temperature), seed=seed)[0]
    cache.put(key, answer)
    return answer, False


def _lines(answer: str) -> list[str]:
    out = []
    for line in answer.splitlines():
        text = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", line).strip().strip('"').strip()
        if text:
            out.append(text)
    return out


def generate_examples(
    endpoint: EndpointGenerator,
    by_label: Mapping[str, Sequence[str]],
    per_class: int,
    *,
    shots: int = 3,
    seed: int = 0,
    home: str | Path | None = None,
) -> tuple[list[tuple[str, str]], list[SyntheticProvenance]]:
    """``per_class`` texts per label written by the LLM (shown ``shots`` real examples of it);
    returns (text, label) rows and one provenance record per label."""
    cache = _Cache(home)
    labels = sorted(by_label)
    rows: list[tuple[str, str]] = []
    provenance: list[SyntheticProvenance] = []
    for label in labels:
        examples = "\n".join(f"- {t}" for t in list(by_label[label])[:shots])
        prompt = EXAMPLES_PROMPT.format(
            n=per_class, label=label, labels=", ".join(labels), examples=examples
        )
        answer, cached = _ask(endpoint, cache, prompt, seed, temperature=0.9)
        texts = list(dict.fromkeys(_lines(answer)))[:per_class]
        rows += [(t, label) for t in texts]
        provenance.append(
            SyntheticProvenance(
                label=label,
                endpoint=endpoint.url,
                model=endpoint.model,
                prompt=prompt,
                prompt_sha256=hashlib.sha256(prompt.encode()).hexdigest(),
                rows=len(texts),
                cached=cached,
                at=time.time(),
            )
        )
    return rows, provenance


@dataclass
class LLMClassifier:
    """Zero-shot (``shots=0``) or few-shot classification by prompt over the labels; an
    answer naming no label counts as the first label and is counted in ``unparsed``."""

    endpoint: EndpointGenerator
    labels: list[str]
    examples: list[tuple[str, str]] | None = None
    home: str | Path | None = None
    seed: int = 0
    unparsed: int = 0

    def _prompt(self, text: str) -> str:
        shots = "".join(f"Text: {t}\nLabel: {lab}\n" for t, lab in self.examples or [])
        return CLASSIFY_PROMPT.format(labels=", ".join(self.labels), examples=shots, text=text)

    def _label(self, answer: str) -> str:
        norm = answer.strip().strip(".\"'").lower()
        for lab in self.labels:
            if norm == lab.lower():
                return lab
        found = [lab for lab in self.labels if re.search(rf"\b{re.escape(lab.lower())}\b", norm)]
        if len(found) == 1:
            return found[0]
        self.unparsed += 1
        return self.labels[0]

    def predict(self, texts: Sequence[str]) -> list[str]:
        cache = _Cache(self.home)
        return [
            self._label(_ask(self.endpoint, cache, self._prompt(t), self.seed, 0.0)[0])
            for t in texts
        ]


def synthesize_missing(
    dataset: Dataset, endpoint: EndpointGenerator, per_class: int, *, home: str | Path | None = None
) -> SyntheticRows | None:
    """The llm recipe's rows for ``dataset``, written once: None (and nothing asked of the
    endpoint) when the version has them already, as a search or a pipeline rerun finds."""
    from textops.data import read_synthetic

    if read_synthetic(dataset, "llm") is not None:
        return None
    return synthesize(dataset, endpoint, per_class, home=home)


def synthesize(
    dataset: Dataset,
    endpoint: EndpointGenerator,
    per_class: int,
    *,
    shots: int = 3,
    seed: int = 0,
    home: str | Path | None = None,
) -> SyntheticRows:
    """LLM-written training rows for ``dataset`` (shown examples of its train split), stored
    with the version and their provenance (the search's ``llm`` recipe reads them)."""
    from textops.data import read_synthetic, write_synthetic

    by_label: dict[str, list[str]] = {}
    for text, label in zip(dataset.texts("train"), dataset.labels("train"), strict=True):
        by_label.setdefault(label, []).append(text)
    rows, provenance = generate_examples(
        endpoint, by_label, per_class, shots=shots, seed=seed, home=home
    )
    if not rows:
        from textops.errors import TextopsError

        raise TextopsError(f"endpoint {endpoint.url} wrote no usable rows (one text per line)")
    write_synthetic(dataset, "llm", rows, provenance)
    made = read_synthetic(dataset, "llm")
    assert made is not None
    return made
