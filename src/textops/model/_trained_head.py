"""The base of heads that train on texts rather than on fixed embeddings (``finetune``,
``setfit``, ``bilstm``): scikit-learn's contract (``__init__`` stores keyword parameters,
models load in ``fit``), label codes in, a deployable embedder + linear head out.

``fit(texts, labels, validation=..., hooks=...)`` trains (validation macro-F1 after each epoch,
the best epoch kept); ``predict`` gives labels for scoring; ``export()`` writes the trained
weights once into a folder and returns the :class:`~textops.embed.Embedder` and fitted
scikit-learn head that a :class:`~textops.model.TextClassifier` holds.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator

from textops.embed import Embedder
from textops.model._training import (
    EpochRecord,
    LoopSpec,
    NoHooks,
    TrainingHooks,
    class_weights,
    device_for,
    fit_epochs,
    linear_head,
    set_threads,
)

__all__ = ["Exported", "TrainedHead", "weights_folder"]


def weights_folder(owner: object) -> Path:
    """A fresh folder for trained weights, removed when ``owner`` (the encoder reading it) is
    garbage-collected or the process exits: a saved model holds its own copy."""
    path = Path(tempfile.mkdtemp(prefix="textops-trained-"))
    weakref.finalize(owner, shutil.rmtree, path, True)
    return path


@dataclass(frozen=True)
class Exported:
    """What a trained head deploys as: an embedder table key, the embedder, the fitted head."""

    embedder_key: str
    embedder: Embedder
    head: Any


class TrainedHead(BaseEstimator):  # type: ignore[misc]
    """Common fitting logic; subclasses implement ``_train``, ``_proba``, ``export``
    and have the loop's parameters (``epochs``, ``batch_size``, ``lr``, ``warmup``, ``seed``)."""

    epochs: int
    batch_size: int
    lr: float
    warmup: float
    seed: int

    #: fits on texts (the search gives it texts, not cached embedding rows)
    text_input: ClassVar[bool] = True

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        validation: tuple[Sequence[str], Sequence[str]] | None = None,
        hooks: TrainingHooks | None = None,
    ) -> TrainedHead:
        self.classes_, y = np.unique(np.asarray(labels, dtype=object), return_inverse=True)
        code = {c: i for i, c in enumerate(self.classes_)}
        val = None
        if validation is not None and len(validation[0]):
            keep = [i for i, lab in enumerate(validation[1]) if lab in code]
            val = (
                [validation[0][i] for i in keep],
                np.array([code[validation[1][i]] for i in keep], dtype=np.int64),
            )
        import torch

        set_threads(getattr(self, "threads", None))
        torch.manual_seed(self.seed)
        self.device_ = device_for(str(getattr(self, "device", "cpu")))
        self.history_: list[EpochRecord] = []
        self._validated = val is not None
        self._train(list(texts), np.asarray(y, dtype=np.int64), val, hooks or NoHooks())
        return self

    def _classifier(self, dim: int, y: np.ndarray, dropout: float) -> tuple[Any, Any, Any]:
        """A linear layer on ``dim`` features (kept as ``linear_``: it is exported), its input
        dropout and the (optionally class-weighted) cross-entropy."""
        import torch

        k, dev = len(self.classes_), self.device_
        self.linear_ = torch.nn.Linear(dim, k).to(dev)
        weight = class_weights(y, k, getattr(self, "class_weight", None))
        loss = torch.nn.CrossEntropyLoss(weight=None if weight is None else weight.to(dev))
        return self.linear_, torch.nn.Dropout(dropout), loss

    def _fit_loop(
        self,
        spec: LoopSpec,
        hooks: TrainingHooks,
        *,
        weight_decay: float,
        patience: int,
        keep_best: Sequence[Any] = (),
    ) -> None:
        """:func:`fit_epochs` with this head's settings; when ``keep_best`` modules are given
        (and validation scored the epochs), their best epoch's weights are restored."""

        def snapshot() -> list[dict[str, Any]]:
            return [
                {n: t.detach().cpu().clone() for n, t in m.state_dict().items()} for m in keep_best
            ]

        self.history_, best, self.epochs_ = fit_epochs(
            spec,
            epochs=self.epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            weight_decay=weight_decay,
            warmup=self.warmup,
            seed=self.seed,
            hooks=hooks,
            patience=patience,
            snapshot=snapshot if keep_best and self._validated else None,
        )
        for module, state in zip(keep_best, best or [], strict=False):
            module.load_state_dict(state)
        for module in spec.modules:
            module.eval()

    def _linear_export(self, embedder_key: str, embedder: Embedder) -> Exported:
        """The trained ``linear_`` layer as a scikit-learn head behind ``embedder``."""
        w = self.linear_.weight.detach().cpu().numpy()
        b = self.linear_.bias.detach().cpu().numpy()
        return Exported(embedder_key, embedder, linear_head(w, b, list(self.classes_)))

    def encoder_passes(self, n_texts: int) -> int:
        """Encoder forward + backward passes one epoch of ``n_texts`` texts takes (0: the
        encoder is frozen, its cost is not the training's)."""
        return 0

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.classes_[self._predict_codes(list(texts))], dtype=object)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Columns follow ``classes_``."""
        return self._proba(list(texts))

    def _predict_codes(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._proba(texts).argmax(axis=1))

    def _train(
        self,
        texts: list[str],
        y: np.ndarray,
        val: tuple[list[str], np.ndarray] | None,
        hooks: TrainingHooks,
    ) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _proba(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def export(self) -> Exported:  # pragma: no cover - abstract
        raise NotImplementedError

    def release(self) -> None:
        """Drop the trained networks (a trial's model is never deployed: memory back now)."""
        for name in [k for k in vars(self) if k.endswith("_") and k != "classes_"]:
            if name not in ("history_", "epochs_", "device_"):
                delattr(self, name)
