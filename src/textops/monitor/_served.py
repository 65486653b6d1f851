"""What monitoring needs to know of a served model: whose predictions these are, what labels it
has, and the training reference drift compares against. A served classifier or generator of
``textops.serve`` is one; monitoring never reaches into the model itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from textops.model import TrainingReference

__all__ = ["EmbeddingModel", "MonitoredModel"]


class MonitoredModel(Protocol):
    @property
    def name(self) -> str | None: ...

    @property
    def version(self) -> str | None: ...

    @property
    def uri(self) -> str: ...

    @property
    def kind(self) -> Literal["classifier", "generator"]: ...

    @property
    def labels(self) -> Sequence[str]: ...

    @property
    def reference(self) -> TrainingReference | None: ...


class EmbeddingModel(MonitoredModel, Protocol):
    """A served classifier: it also embeds texts as its head sees them (the embedding test)."""

    def embed(self, texts: list[str]) -> object: ...
