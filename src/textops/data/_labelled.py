"""A labelled dataset version read in one call: what a stage that trains classifiers reads
(every row's stored text, label, split and cache key, and the LLM-written rows beside them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textops.data._store import Dataset, DatasetStore
from textops.data._synthetic import SyntheticRows, read_synthetic
from textops.errors import ConfigError

__all__ = ["LabelledVersion", "read_labelled"]


@dataclass(frozen=True)
class LabelledVersion:
    """A version's rows in file order: stored (repaired, normalised) texts, labels, split
    names and each text's sha256 (the embedding cache's key)."""

    dataset: Dataset
    texts: list[str]
    labels: list[str]
    splits: list[str]
    keys: list[bytes]
    #: the version's LLM-written rows (training material only), None when it has none
    synthetic: SyntheticRows | None


def read_labelled(
    name: str, version: str | None = None, *, home: str | Path | None = None, purpose: str
) -> LabelledVersion:
    """Version ``version`` (default: the latest) of dataset ``name``; a corpus (no labels) is
    a ConfigError saying what ``purpose`` (e.g. "a search trains classifiers") needs."""
    ds = DatasetStore(home).get(name, version)
    if ds.task != "classification":
        raise ConfigError(
            f"dataset {ds.name!r} is a {ds.task} corpus (no labels): {purpose}; ingest "
            "labelled data, or train a generator on it"
        )
    table = ds.table(["text", "label", "split", "text_sha256"])
    return LabelledVersion(
        dataset=ds,
        texts=[str(t) for t in table["text"].to_pylist()],
        labels=[str(t) for t in table["label"].to_pylist()],
        splits=[str(s) for s in table["split"].to_pylist()],
        keys=list(table["text_sha256"].to_pylist()),
        synthetic=read_synthetic(ds, "llm"),
    )
