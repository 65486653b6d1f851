"""Model URIs, parsed and resolved in one place: ``models:/NAME@ALIAS`` follows an alias,
``models:/NAME/VERSION`` pins a version; anything else (``runs:/RUN/model``, a folder) is
passed to MLflow as it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textops.errors import ModelNotFoundError

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

__all__ = ["ModelURI", "resolve_version"]


@dataclass(frozen=True)
class ModelURI:
    """A parsed model URI: ``name`` and ``alias`` or ``version`` for a registry URI, all None
    for a run URI or a path."""

    uri: str
    name: str | None = None
    alias: str | None = None
    version: str | None = None

    @classmethod
    def parse(cls, uri: str) -> ModelURI:
        if not uri.startswith("models:/"):
            return cls(uri)
        ref = uri.removeprefix("models:/")
        if "@" in ref:
            name, alias = ref.split("@", 1)
            if name and alias:
                return cls(uri, name=name, alias=alias)
        else:
            name, _, version = ref.partition("/")
            if name and version.isdigit():
                return cls(uri, name=name, version=version)
        raise ModelNotFoundError(f"{uri!r}: use models:/NAME@ALIAS or models:/NAME/VERSION")

    @property
    def registered(self) -> bool:
        return self.name is not None

    def model_version(self, client: MlflowClient) -> ModelVersion:
        """The registry's version this URI names now (an alias is resolved); a name, alias or
        version the registry does not hold is a ModelNotFoundError saying where to look."""
        from mlflow.exceptions import MlflowException

        assert self.name is not None, "a run URI or a path names no registered version"
        try:
            if self.alias is not None:
                return client.get_model_version_by_alias(self.name, self.alias)
            return client.get_model_version(self.name, str(self.version))
        except MlflowException as exc:
            if exc.error_code not in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                raise
            raise ModelNotFoundError(
                f"{self.uri}: not in the registry ({exc.message}); see `textops models list`"
            ) from None


def client_for(tracking_uri: str) -> MlflowClient:
    """A client of the store at ``tracking_uri`` (a SQLite store that vanished is an error,
    never a new empty one)."""
    from mlflow import MlflowClient

    from textops.track._store import checked_store

    checked_store(tracking_uri)
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def resolve_version(uri: str, tracking_uri: str) -> str | None:
    """The version an alias URI points at now (a pinned URI: its version; a run: None)."""
    parsed = ModelURI.parse(uri)
    if parsed.alias is None:
        return parsed.version
    client = client_for(tracking_uri)
    try:
        mv = parsed.model_version(client)
    except Exception as exc:
        raise ModelNotFoundError(
            f"alias {parsed.alias!r} of model {parsed.name!r} does not resolve in "
            f"{tracking_uri}: {exc}. See `textops models show {parsed.name}`"
        ) from exc
    return str(mv.version)
