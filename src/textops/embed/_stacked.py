"""Several embedders side by side: the features of an ensemble whose members each read their
own columns (``textops.model``'s ensemble head selects them). One object, so a served ensemble
encodes each text once per member and its sentence encoders load once, through the cache like
any hybrid's parts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np

from textops._types import Features, Target
from textops.embed._base import Embedder

__all__ = ["StackedEmbedder"]


class StackedEmbedder(Embedder):
    """``[member 1 | member 2 | ...]``, each member's features as it gives them (a CSR matrix
    when any member is sparse). Members that learn from texts (TF-IDF, a hybrid) are fitted
    on the training texts; sentence encoders are saved as their parameters only and load their
    model on first use."""

    numeric_libraries: ClassVar[tuple[str, ...]] = ("numpy", "scipy")
    cacheable: ClassVar[bool] = False
    requires_fit: ClassVar[bool] = True  # saved whole (skops): its fitted members with it
    sparse_output: ClassVar[bool] = True
    loads_model: ClassVar[bool] = True

    def __init__(self, *, members: Sequence[Embedder] = ()) -> None:
        self.members = members

    def fit(self, texts: Sequence[str], y: Target | None = None) -> StackedEmbedder:
        from sklearn.base import clone

        if len(self.members) < 2 or not all(isinstance(m, Embedder) for m in self.members):
            raise ValueError(f"a stacked embedder needs two or more embedders, not {self.members}")
        self.members_ = [clone(m).fit(list(texts)) if m.requires_fit else m for m in self.members]
        return self

    def _fitted(self) -> list[Embedder]:
        members: list[Embedder] | None = getattr(self, "members_", None)
        if members is None:
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("StackedEmbedder must be fitted on training texts first")
        return members

    @staticmethod
    def stack(blocks: Sequence[Features]) -> Features:
        """The members' blocks side by side: dense when all are dense, else one CSR matrix."""
        if all(isinstance(b, np.ndarray) for b in blocks):
            return np.hstack([np.asarray(b, dtype=np.float32) for b in blocks])
        import scipy.sparse as sp

        return sp.hstack(list(blocks), format="csr", dtype=np.float32)

    def cached_parts(self) -> list[Embedder]:
        parts: list[Embedder] = []
        for member in self._fitted():
            for part in [member] if member.cacheable else member.cached_parts():
                if part not in parts:
                    parts.append(part)
        return parts

    def encode_parts(self, texts: list[str], encode: Callable[[Embedder], np.ndarray]) -> Features:
        blocks = [
            encode(m) if m.cacheable else m.encode_parts(texts, encode) for m in self._fitted()
        ]
        return self.stack(blocks)

    def _encode(self, texts: list[str]) -> Any:
        return self.stack([m.transform(texts) for m in self._fitted()])

    def _model_id(self) -> str:
        members = getattr(self, "members_", None) or self.members
        return "+".join(str(m.identity()["model"]) for m in members)

    def __getstate__(self) -> dict[str, object]:
        # a sentence encoder's loaded model is never saved: its parameters are (a fitted
        # member, TF-IDF or a hybrid, is saved whole; a hybrid drops its own encoder)
        from sklearn.base import clone

        state = dict(super().__getstate__())
        for name in ("members", "members_"):
            if name in state:
                state[name] = [clone(m) if m.cacheable else m for m in state[name]]
        return state
