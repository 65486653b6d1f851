"""What the registry says of a model and its versions, and what a promotion or rollback did:
the values :class:`ModelRegistry` answers with (``as_json`` is what ``models ... --json``
prints)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from textops._types import JSON

__all__ = ["ChampionChange", "ModelInfo", "VersionInfo"]


@dataclass(frozen=True)
class VersionInfo:
    """One registered version: its aliases, the run that holds it, and its tags (test
    macro-F1, dataset fingerprint, embedder, head, study and trial)."""

    version: int
    aliases: list[str]
    run_id: str | None
    source: str
    tags: dict[str, str]
    created: int

    def as_json(self) -> JSON:
        return asdict(self)


@dataclass(frozen=True)
class ModelInfo:
    name: str
    champion: int | None
    aliases: dict[str, int]
    latest: int | None

    def as_json(self) -> JSON:
        return asdict(self)


@dataclass(frozen=True)
class ChampionChange:
    """What ``promote`` or ``rollback`` did: the champion now, and the one it replaced."""

    name: str
    champion: int
    previous: int | None

    def as_json(self, *, rollback: bool = False) -> JSON:
        if rollback:  # `models rollback --json` names the one left
            return {"name": self.name, "champion": self.champion, "rolled_back_from": self.previous}
        return asdict(self)
