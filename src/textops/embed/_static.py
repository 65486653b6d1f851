"""Static (model2vec-format) embeddings: a lookup table per token, mean-pooled. Very fast."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from textops._packages import package_dir
from textops._types import Target
from textops.embed._base import Embedder
from textops.embed._model_hash import hash_model_files
from textops.errors import ModelNotFoundError

__all__ = ["StaticModelEmbedder"]

# model2vec-format models shipped inside PyPI packages: name -> (module, pip spec, subfolder)
PACKAGED_STATIC = {
    "tokenlearn-static": ("static_model", "tokenlearn-static-model==0.1.1", "model"),
}


def _resolve(model: str) -> Path:
    if model in PACKAGED_STATIC:
        module, pip_spec, sub = PACKAGED_STATIC[model]
        return package_dir(module, pip_spec, f"the static model {model!r}") / sub
    path = Path(model).expanduser()
    if (path / "config.json").is_file():
        return path.resolve()
    raise ModelNotFoundError(
        f"static model {model!r} is neither packaged ({', '.join(PACKAGED_STATIC)}) nor a local "
        "model2vec folder (with config.json); textops never downloads models at run time"
    )


class StaticModelEmbedder(Embedder):
    """model2vec ``StaticModel``: token embeddings averaged per text (~10^4 texts/s on one core)."""

    numeric_libraries: ClassVar[tuple[str, ...]] = ("numpy", "model2vec", "tokenizers")

    def __init__(
        self, *, model: str = "tokenlearn-static", normalize: bool = True, batch_size: int = 1024
    ) -> None:
        self.model = model
        self.normalize = normalize
        self.batch_size = batch_size

    def _load(self) -> Any:
        m = getattr(self, "model_", None)
        if m is None:
            from model2vec import StaticModel

            m = StaticModel.from_pretrained(
                _resolve(self.model), normalize=self.normalize, force_download=False
            )
            self.model_ = m
        return m

    def fit(self, texts: Sequence[str], y: Target | None = None) -> StaticModelEmbedder:
        self._load()
        return self

    def _encode(self, texts: list[str]) -> np.ndarray:
        out = self._load().encode(texts, batch_size=self.batch_size, use_multiprocessing=False)
        return np.asarray(out, dtype=np.float32)

    def _model_id(self) -> str:
        return "sha256:" + hash_model_files(_resolve(self.model))
