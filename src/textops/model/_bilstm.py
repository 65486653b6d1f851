"""The ``bilstm`` head: a bidirectional LSTM with max or attention pooling over a frozen
encoder's token vectors, then a linear layer, trained in torch.

The encoder is frozen, so each text's token vectors are computed once per fit (and kept for
the last few text sets: the trials of one search train on the same split).
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from typing import Any

import numpy as np
from scipy.special import softmax

from textops.embed import (
    BILSTM_CONFIG,
    BILSTM_WEIGHTS,
    BiLSTMConfig,
    BiLSTMEncoder,
    build_bilstm,
)
from textops.model._scores import macro_f1
from textops.model._trained_head import Exported, TrainedHead, weights_folder
from textops.model._training import LoopSpec, TrainingHooks, autocast, batches

__all__ = ["BiLSTMHead"]

_TOKENS: OrderedDict[str, list[Any]] = OrderedDict()
_TOKENS_KEPT = 3


def _token_vectors(enc: BiLSTMEncoder, texts: list[str]) -> list[Any]:
    h = hashlib.sha256(f"{enc.model}\0{enc.max_seq_length}".encode())
    for t in texts:
        h.update(t.encode("utf-8", "surrogatepass") + b"\0")
    key = h.hexdigest()
    if key not in _TOKENS:
        _TOKENS[key] = enc.token_vectors(texts)
        while len(_TOKENS) > _TOKENS_KEPT:
            _TOKENS.popitem(last=False)
    _TOKENS.move_to_end(key)
    return _TOKENS[key]


class BiLSTMHead(TrainedHead):
    def __init__(
        self,
        *,
        model: str = "all-MiniLM-L6-v2",
        hidden: int = 128,
        pooling: str = "max",
        lr: float = 2e-3,
        epochs: int = 10,
        batch_size: int = 32,
        max_length: int = 128,
        weight_decay: float = 0.0,
        warmup: float = 0.0,
        class_weight: str | None = None,
        patience: int = 2,
        device: str = "auto",
        threads: int | None = None,
        seed: int = 0,
    ) -> None:
        self.model = model
        self.hidden = hidden
        self.pooling = pooling
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.max_length = max_length
        self.weight_decay = weight_decay
        self.warmup = warmup
        self.class_weight = class_weight
        self.patience = patience
        self.device = device
        self.threads = threads
        self.seed = seed

    def _config(self, dim: int) -> BiLSTMConfig:
        return {"input_dim": dim, "hidden": self.hidden, "pooling": self.pooling}

    def _train(
        self,
        texts: list[str],
        y: np.ndarray,
        val: tuple[list[str], np.ndarray] | None,
        hooks: TrainingHooks,
    ) -> None:
        import torch

        from textops.embed import pad_tokens

        dev = self.device_
        self.encoder_ = enc = BiLSTMEncoder(
            model=self.model, device=dev, max_seq_length=self.max_length
        )
        vectors = _token_vectors(enc, texts)
        self.config_ = self._config(int(vectors[0].shape[1]))
        net = self.network_ = build_bilstm(self.config_).to(dev)
        linear, drop, loss_fn = self._classifier(2 * self.hidden, y, 0.2)
        target = torch.as_tensor(y)

        def step(rows: np.ndarray) -> Any:
            tokens, mask = pad_tokens([vectors[i] for i in rows])
            with autocast(dev):
                logits = linear(drop(net(tokens.to(dev), mask.to(dev))))
            return loss_fn(logits.float(), target[rows].to(dev))

        val_vectors = None if val is None else _token_vectors(enc, val[0])

        def validate() -> float | None:
            if val is None or val_vectors is None:
                return None
            return macro_f1(val[1], self._logits(val_vectors).argmax(axis=1))

        params = list(net.parameters()) + list(linear.parameters())
        lengths = [int(v.shape[0]) for v in vectors]
        spec = LoopSpec(step, params, lengths, validate, modules=[net, linear])
        self._fit_loop(
            spec,
            hooks,
            weight_decay=self.weight_decay,
            patience=self.patience,
            keep_best=[net, linear],
        )

    def _logits(self, vectors: list[Any]) -> np.ndarray:
        import torch

        from textops.embed import pad_tokens

        out = np.zeros((len(vectors), len(self.classes_)), dtype=np.float32)
        with torch.inference_mode():
            for rows in batches([int(v.shape[0]) for v in vectors], 64, shuffle=False):
                tokens, mask = pad_tokens([vectors[i] for i in rows])
                with autocast(self.device_):
                    pooled = self.network_(tokens.to(self.device_), mask.to(self.device_))
                    out[rows] = self.linear_(pooled).float().cpu().numpy()
        return out

    def _proba(self, texts: list[str]) -> np.ndarray:
        return np.asarray(softmax(self._logits(self.encoder_.token_vectors(texts)), axis=1))

    def export(self) -> Exported:
        from safetensors.torch import save_file

        enc = BiLSTMEncoder(model=self.model, max_seq_length=self.max_length)
        folder = weights_folder(enc)
        state = {n: t.detach().cpu().contiguous() for n, t in self.network_.state_dict().items()}
        save_file(state, str(folder / BILSTM_WEIGHTS))
        (folder / BILSTM_CONFIG).write_text(json.dumps(self.config_, sort_keys=True))
        enc.weights = str(folder)
        return self._linear_export("bilstm_encoder", enc)
