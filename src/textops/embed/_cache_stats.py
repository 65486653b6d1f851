"""What ``textops cache stats`` and ``cache prune`` report, as values (``as_json`` keeps the
keys ``--json`` has always printed)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from textops._types import JSON

__all__ = ["CacheStats", "PruneReport", "SpaceStats"]


@dataclass(frozen=True)
class SpaceStats:
    """One cache space: the embedder it holds vectors of and how many, in how many files."""

    space: str
    backend: str | None
    params: JSON  # the embedder's parameters as recorded in space.json
    model: str | None
    dim: int | None
    entries: int
    shards: int
    damaged_shards: int
    bytes: int
    last_used: float

    @property
    def embedder(self) -> str:
        """In words: its model (two sentence-transformers spaces differ by it), else its
        backend class."""
        backend = str(self.backend or "?").rsplit(".", 1)[-1]
        model = self.params.get("model")
        return f"{backend} {model}" if model else backend


@dataclass(frozen=True)
class CacheStats:
    root: str
    spaces: list[SpaceStats]

    @property
    def entries(self) -> int:
        return sum(s.entries for s in self.spaces)

    @property
    def bytes(self) -> int:
        return sum(s.bytes for s in self.spaces)

    @property
    def damaged_shards(self) -> int:
        return sum(s.damaged_shards for s in self.spaces)

    @property
    def bytes_per_embedding(self) -> float | None:
        return round(self.bytes / self.entries, 1) if self.entries else None

    def as_json(self) -> JSON:
        return {
            "root": self.root,
            "spaces": [dataclasses.asdict(s) for s in self.spaces],
            "entries": self.entries,
            "bytes": self.bytes,
            "damaged_shards": self.damaged_shards,
            "bytes_per_embedding": self.bytes_per_embedding,
        }


@dataclass
class PruneReport:
    """What a prune removed and merged (filled in as it goes)."""

    removed_damaged: int = 0
    removed_tmp: int = 0
    removed_spaces: list[str] = field(default_factory=list)
    compacted_shards: int = 0
    bytes_before: int = 0
    bytes_after: int = 0

    def as_json(self) -> JSON:
        return dataclasses.asdict(self)
