"""Encoders that training produced: a fine-tuned sentence-transformers folder, and a BiLSTM over
a frozen encoder's token vectors. Both follow the :class:`Embedder` contract, so a model built
on them predicts, caches, serves and exports like any frozen-embedding model.

Their weights live in a folder (``bundle_param`` names the parameter holding it): a saved
:class:`~textops.model.TextClassifier` copies that folder into itself (``encoder/``) and points
the parameter there when it loads. The folder's bytes, not its path, are the model's identity.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict

import numpy as np

from textops._types import RuntimeInfo
from textops.embed._base import Embedder, in_length_order
from textops.embed._model_hash import hash_model_files
from textops.embed._sbert import SentenceTransformerEmbedder, pick_device, resolve_model
from textops.errors import ModelNotFoundError

if TYPE_CHECKING:
    import torch

__all__ = [
    "BILSTM_CONFIG",
    "BILSTM_WEIGHTS",
    "BiLSTMConfig",
    "BiLSTMEncoder",
    "FineTunedEncoder",
    "build_bilstm",
    "pad_tokens",
]

BILSTM_CONFIG = "bilstm.json"
BILSTM_WEIGHTS = "bilstm.safetensors"


class FineTunedEncoder(SentenceTransformerEmbedder):
    """A sentence-transformers folder written by training (``model``): mean pooling, not
    normalised (the trained linear layer saw the raw mean)."""

    bundle_param: ClassVar[str | None] = "model"

    def __init__(
        self,
        *,
        model: str = "",
        device: str = "cpu",
        batch_size: int = 64,
        max_seq_length: int | None = None,
        normalize: bool = False,
    ) -> None:
        super().__init__(
            model=model,
            device=device,
            batch_size=batch_size,
            max_seq_length=max_seq_length,
            normalize=normalize,
        )


def _bilstm_module(cfg: BiLSTMConfig) -> Any:
    """The BiLSTM + pooling network (torch), as training builds it."""
    import torch

    class BiLSTMPool(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.pooling = str(cfg["pooling"])
            self.lstm = torch.nn.LSTM(
                int(cfg["input_dim"]), int(cfg["hidden"]), batch_first=True, bidirectional=True
            )
            self.attn = torch.nn.Linear(2 * int(cfg["hidden"]), 1)

        def forward(self, tokens: Any, mask: Any) -> Any:
            out, _ = self.lstm(tokens)
            keep = mask.unsqueeze(-1).bool()
            if self.pooling == "max":
                return out.masked_fill(~keep, -1e4).max(dim=1).values
            scores = self.attn(out).masked_fill(~keep, -1e4)
            weights = torch.softmax(scores, dim=1)
            return (weights * out).sum(dim=1)

    return BiLSTMPool()


def pad_tokens(vectors: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Variable-length token matrices as one zero-padded batch and its mask (torch)."""
    import torch

    length = max(int(v.shape[0]) for v in vectors)
    dim = int(vectors[0].shape[1])
    batch = torch.zeros(len(vectors), length, dim)
    mask = torch.zeros(len(vectors), length)
    for i, v in enumerate(vectors):
        batch[i, : v.shape[0]] = v
        mask[i, : v.shape[0]] = 1
    return batch, mask


class BiLSTMEncoder(Embedder):
    """A frozen sentence-transformers encoder's token vectors through a trained BiLSTM and its
    pooling (``weights``: the folder with ``bilstm.json`` and ``bilstm.safetensors``)."""

    numeric_libraries: ClassVar[tuple[str, ...]] = SentenceTransformerEmbedder.numeric_libraries
    loads_model: ClassVar[bool] = True
    bundle_param: ClassVar[str | None] = "weights"

    def __init__(
        self,
        *,
        model: str = "all-MiniLM-L6-v2",
        weights: str = "",
        device: str = "cpu",
        batch_size: int = 64,
        max_seq_length: int = 128,
    ) -> None:
        self.model = model
        self.weights = weights
        self.device = device
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length

    def token_encoder(self) -> SentenceTransformerEmbedder:
        enc = getattr(self, "encoder_", None)
        if enc is None:
            enc = self.encoder_ = SentenceTransformerEmbedder(
                model=self.model, device=self.device, max_seq_length=self.max_seq_length
            )
        return enc

    def token_vectors(self, texts: list[str]) -> list[torch.Tensor]:
        """Each text's token vectors from the frozen encoder (CPU tensors)."""
        st = self.token_encoder()._load()
        out = st.encode(
            texts,
            batch_size=self.batch_size,
            output_value="token_embeddings",
            show_progress_bar=False,
            convert_to_numpy=False,
        )
        return [v.detach().float().cpu() for v in out]

    def _network(self) -> Any:
        net = getattr(self, "network_", None)
        if net is None:
            folder = Path(self.weights)
            if not (folder / BILSTM_WEIGHTS).is_file():
                raise ModelNotFoundError(f"no trained BiLSTM in {folder} ({BILSTM_WEIGHTS})")
            from safetensors.torch import load_file

            net = _bilstm_module(json.loads((folder / BILSTM_CONFIG).read_text()))
            net.load_state_dict(load_file(str(folder / BILSTM_WEIGHTS)))
            self.network_ = net.eval()
        return net

    def _encode(self, texts: list[str]) -> np.ndarray:
        import torch

        net = self._network()

        def run(batch: list[str]) -> np.ndarray:
            return np.asarray(net(*pad_tokens(self.token_vectors(batch))).numpy())

        with torch.inference_mode():
            return in_length_order(texts, self.batch_size, run)

    def _model_id(self) -> str:
        base = hash_model_files(resolve_model(self.model))
        return f"sha256:{base}+{hash_model_files(Path(self.weights))}"

    def describe(self) -> RuntimeInfo:
        return {"device": pick_device(self.device), "model_path": str(resolve_model(self.model))}


class BiLSTMConfig(TypedDict):
    """A BiLSTM network's shape (``bilstm_config.json`` of a saved head)."""

    input_dim: int
    hidden: int
    pooling: str  # "max" or "attention"


def build_bilstm(cfg: BiLSTMConfig) -> torch.nn.Module:
    """A fresh BiLSTM network of ``cfg`` (for training)."""
    module: torch.nn.Module = _bilstm_module(cfg)
    return module
