"""Rows that were not collected but made: examples written by an LLM for a dataset version,
kept next to it with their provenance (endpoint, model, prompt, time) and read by the search's
``llm`` recipe. They are training material only: never a split of the dataset, so they never
reach validation or test."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from textops._types import JSON
from textops._util import atomic_write_json
from textops.data._store import Dataset

__all__ = ["SyntheticProvenance", "SyntheticRows", "read_synthetic", "write_synthetic"]


@dataclass(frozen=True)
class SyntheticRows:
    recipe: str
    texts: list[str]
    labels: list[str]
    #: per label: endpoint, model, prompt, prompt hash, time
    provenance: list[JSON]

    def __len__(self) -> int:
        return len(self.texts)


def _folder(dataset: Dataset) -> Path:
    return dataset.path / "synthetic"


@dataclass(frozen=True)
class SyntheticProvenance:
    """How one label's synthetic rows were made: by which model behind which endpoint, from
    which prompt, when, and whether the answer came from the local answer cache."""

    label: str
    endpoint: str
    model: str
    prompt: str
    prompt_sha256: str
    rows: int
    cached: bool
    at: float


def write_synthetic(
    dataset: Dataset,
    recipe: str,
    rows: Sequence[tuple[str, str]],
    provenance: Sequence[SyntheticProvenance],
) -> Path:
    """Store ``rows`` (text, label) made by ``recipe`` for ``dataset``; the manifest lists
    them (``synthetic``) with their provenance. Replaces earlier rows of the same recipe."""
    folder = _folder(dataset)
    folder.mkdir(exist_ok=True)
    path = folder / f"{recipe}.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for text, label in rows:
            fh.write(json.dumps({"text": text, "label": label}, ensure_ascii=False) + "\n")
    manifest = dict(dataset.manifest)
    entries = dict(manifest.get("synthetic", {}))
    counts: dict[str, int] = {}
    for _, label in rows:
        counts[label] = counts.get(label, 0) + 1
    entries[recipe] = {
        "path": str(path),
        "rows": len(rows),
        "labels": counts,
        "provenance": [dataclasses.asdict(p) for p in provenance],
    }
    manifest["synthetic"] = entries
    atomic_write_json(dataset.path / "manifest.json", manifest)
    dataset.__dict__["manifest"] = manifest  # the cached manifest, as now on disk
    return path


def read_synthetic(dataset: Dataset, recipe: str) -> SyntheticRows | None:
    entry = dataset.manifest.get("synthetic", {}).get(recipe)
    if entry is None:
        return None
    path = _folder(dataset) / f"{recipe}.jsonl"
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return SyntheticRows(
        recipe,
        [r["text"] for r in rows],
        [r["label"] for r in rows],
        list(entry.get("provenance", [])),
    )
