"""The MLflow Model Registry with champion/challenger aliases and a rollback history.

Each registered version carries tags: its test macro-F1, the dataset fingerprint of the test
split it was scored on, its embedder and head. The champions a model has had are a stack (the
registered model's ``textops.champion_history`` tag): ``promote`` pushes the champion it
replaces, ``rollback`` pops it, so each rollback steps one champion further back and never flips
between two versions.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from textops._types import JSON
from textops.errors import ModelNotFoundError, RegistryError, TextopsError
from textops.track._champion import (
    CHALLENGER,
    CHAMPION,
    ChampionPolicy,
)
from textops.track._mlflow import default_tracking_uri, quiet_mlflow
from textops.track._store import checked_store

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "ChampionChange",
    "ModelInfo",
    "ModelRegistry",
    "VersionInfo",
]

TAG_PREV = "textops.previous_champion"
TAG_HISTORY = "textops.champion_history"


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


def _not_found(exc: Exception) -> bool:
    """MLflow's answer for a model or an alias that does not exist."""
    code = getattr(exc, "error_code", "")
    if code == "RESOURCE_DOES_NOT_EXIST":
        return True
    return code == "INVALID_PARAMETER_VALUE" and "not found" in str(exc)


class ModelRegistry(ChampionPolicy):
    """Versions, aliases and the champion history of registered models; which version
    becomes champion is :class:`~textops.track._champion.ChampionPolicy`'s."""

    def __init__(self, tracking_uri: str | None = None, *, home: str | Path | None = None) -> None:
        from mlflow import MlflowClient

        quiet_mlflow()
        self.uri = checked_store(tracking_uri or default_tracking_uri(home))
        self.client = MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)

    # -- reads -----------------------------------------------------------------------------
    def _alias_version(self, name: str, alias: str) -> Any | None:
        """The version ``alias`` names; None when the model or the alias does not exist. Any
        other failure is a RegistryError: "no champion" read from a registry that did not
        answer would let the wrong version be promoted."""
        from mlflow.exceptions import MlflowException

        try:
            return self.client.get_model_version_by_alias(name, alias)
        except MlflowException as exc:
            if _not_found(exc):
                return None
            raise RegistryError(
                f"cannot read alias {alias!r} of model {name!r} from {self.uri}: {exc}"
            ) from exc
        except Exception as exc:
            raise RegistryError(
                f"cannot read alias {alias!r} of model {name!r} from {self.uri}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    def alias_version(self, name: str, alias: str) -> int | None:
        """The version ``alias`` points at, or None (no such model or alias)."""
        mv = self._alias_version(name, alias)
        return None if mv is None else int(mv.version)

    def versions(self, name: str) -> list[VersionInfo]:
        model = self._model(name)
        aliases: dict[str, list[str]] = {}
        for alias, version in (model.aliases or {}).items():
            aliases.setdefault(str(version), []).append(alias)
        rows = [
            VersionInfo(
                version=int(mv.version),
                aliases=aliases.get(str(mv.version), []),
                run_id=mv.run_id,
                source=str(mv.source),
                tags=dict(mv.tags),
                created=int(mv.creation_timestamp),
            )
            for mv in self.client.search_model_versions(f"name='{name}'")
        ]
        return sorted(rows, key=lambda r: r.version)

    def find(self, name: str, tags: dict[str, str]) -> VersionInfo | None:
        """The newest version of ``name`` whose tags include all of ``tags`` (None if none, or
        no such model)."""
        try:
            rows = self.versions(name)
        except ModelNotFoundError:
            return None
        return next(
            (r for r in reversed(rows) if all(r.tags.get(k) == v for k, v in tags.items())), None
        )

    def models(self) -> list[ModelInfo]:
        out = []
        for m in self.client.search_registered_models():
            aliases = {k: int(v) for k, v in (m.aliases or {}).items()}
            out.append(
                ModelInfo(
                    name=m.name,
                    champion=aliases.get(CHAMPION),
                    aliases=aliases,
                    latest=max((int(v.version) for v in m.latest_versions or []), default=None),
                )
            )
        return out

    # -- writes ----------------------------------------------------------------------------
    def _model(self, name: str) -> Any:
        try:
            return self.client.get_registered_model(name)
        except Exception as exc:
            raise ModelNotFoundError(
                f"no registered model {name!r} in {self.uri}; see `textops models list`"
            ) from exc

    def _version(self, name: str, version: int) -> Any:
        self._model(name)
        try:
            return self.client.get_model_version(name, str(version))
        except Exception as exc:
            known = [r.version for r in self.versions(name)]
            raise ModelNotFoundError(
                f"model {name!r} has no version {version} (versions: {known}); see "
                f"`textops models show {name}`"
            ) from exc

    def _history(self, model: Any) -> list[int]:
        raw = (model.tags or {}).get(TAG_HISTORY)
        return [int(v) for v in json.loads(raw)] if raw else []

    def _set_history(self, name: str, history: list[int]) -> None:
        self.client.set_registered_model_tag(name, TAG_HISTORY, json.dumps(history[-50:]))

    def promote(self, name: str, version: int) -> ChampionChange:
        """Make ``version`` champion, pushing the champion it replaces onto the history."""
        self._version(name, version)
        current = self._alias_version(name, CHAMPION)
        if current is not None and int(current.version) != int(version):
            self.client.set_model_version_tag(name, str(version), TAG_PREV, str(current.version))
            history = self._history(self._model(name))
            self._set_history(name, [*history, int(current.version)])
        self.client.set_registered_model_alias(name, CHAMPION, str(version))
        chall = self._alias_version(name, CHALLENGER)
        if chall is not None and int(chall.version) == int(version):
            self.client.delete_registered_model_alias(name, CHALLENGER)
        previous = int(current.version) if current is not None else None
        return ChampionChange(name, int(version), previous)

    def rollback(self, name: str) -> ChampionChange:
        """Move ``champion`` back to the champion it replaced (popped from the history)."""
        model = self._model(name)
        current = self._alias_version(name, CHAMPION)
        if current is None:
            raise TextopsError(f"model {name!r} has no champion to roll back")
        history = self._history(model)
        if not history and TAG_HISTORY not in (model.tags or {}):
            # a model promoted before the history existed: its champion's own tag, once
            previous = current.tags.get(TAG_PREV)
            history = [int(previous)] if previous else []
        while history and history[-1] == int(current.version):
            history.pop()
        if not history:
            raise TextopsError(
                f"champion v{current.version} of {name!r} replaced no earlier champion (or "
                f"every earlier one was rolled back already); promote a version instead: "
                f"`textops models promote {name} VERSION`"
            )
        previous = history.pop()
        self.client.set_registered_model_alias(name, CHAMPION, str(previous))
        self._set_history(name, history)
        self.client.set_model_version_tag(name, str(current.version), "textops.rolled_back", "true")
        return ChampionChange(name, previous, int(current.version))
