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
from textops.model._training import EpochRecord, NoHooks, TrainingHooks, device_for, set_threads

__all__ = ["Exported", "TrainedHead", "macro_f1_codes", "weights_folder"]


def macro_f1_codes(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y_true, y_pred, average="macro"))


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
    """Common fitting logic; subclasses implement ``_train``, ``_predict_codes``, ``export``."""

    #: fits on texts (the search gives it texts, not cached embedding rows)
    text_input: ClassVar[bool] = True

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[Any],
        *,
        validation: tuple[Sequence[str], Sequence[Any]] | None = None,
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
        set_threads(getattr(self, "threads", None))
        self.device_ = device_for(str(getattr(self, "device", "cpu")))
        self.history_: list[EpochRecord] = []
        self._train(list(texts), np.asarray(y, dtype=np.int64), val, hooks or NoHooks())
        return self

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.classes_[self._predict_codes(list(texts))], dtype=object)

    def _train(
        self,
        texts: list[str],
        y: np.ndarray,
        val: tuple[list[str], np.ndarray] | None,
        hooks: TrainingHooks,
    ) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict_codes(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def export(self) -> Exported:  # pragma: no cover - abstract
        raise NotImplementedError

    def release(self) -> None:
        """Drop the trained networks (a trial's model is never deployed: memory back now)."""
        for name in [k for k in vars(self) if k.endswith("_") and k != "classes_"]:
            if name not in ("history_", "epochs_", "device_"):
                delattr(self, name)
