"""What monitoring compares served traffic with, saved next to the classifier: statistics of
the training texts, the model's label mix on its test split, and a sample of training
embeddings (dense embedders only). Built when a model is finalised, read when it is served."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from textops._types import JSON, Features

__all__ = [
    "REFERENCE_VECTORS",
    "TrainingReference",
    "build_reference",
    "oov_rate",
    "reference_rows",
    "tokens",
]

_TOKEN = re.compile(r"\w+", re.UNICODE)
REF_JSON = "drift_reference.json"
REF_VECTORS = "drift_embeddings.npy"
#: training embeddings a reference keeps (drift tests compare served vectors with these)
REFERENCE_VECTORS = 1000


def reference_rows(n: int, seed: int = 0, max_vectors: int = REFERENCE_VECTORS) -> np.ndarray:
    """Which of ``n`` training rows a reference keeps the embeddings of (in row order): only
    these need encoding, which matters for an encoder trained just now (nothing cached)."""
    return np.sort(np.random.default_rng(seed).permutation(n)[:max_vectors])


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def oov_rate(text: str, vocab: set[str] | frozenset[str]) -> float:
    """Share of ``text``'s words that ``vocab`` (the training vocabulary) does not hold."""
    toks = tokens(text)
    return sum(t not in vocab for t in toks) / len(toks) if toks else 0.0


@dataclass(frozen=True)
class TrainingReference:
    """The training side of every drift test (see ``textops.monitor``)."""

    labels: tuple[str, ...]
    #: the model's predicted labels on its test split, counted per label
    predicted_label_counts: dict[str, int]
    #: lengths (characters) of a sample of training texts
    lengths: tuple[int, ...]
    #: the training vocabulary, most frequent first
    vocab: tuple[str, ...]
    #: out-of-vocabulary rate of each test text
    oov_rates: tuple[float, ...]
    n_train: int
    #: a sample of training embeddings (dense embedders only)
    vectors: np.ndarray | None = None

    @property
    def vocab_set(self) -> frozenset[str]:
        return frozenset(self.vocab)

    def save(self, folder: Path) -> None:
        body: JSON = {
            "format": 1,
            "labels": list(self.labels),
            "predicted_label_counts": self.predicted_label_counts,
            "lengths": list(self.lengths),
            "vocab": list(self.vocab),
            "oov_rates": list(self.oov_rates),
            "n_train": self.n_train,
        }
        (folder / REF_JSON).write_text(json.dumps(body))
        if self.vectors is not None:
            np.save(folder / REF_VECTORS, self.vectors, allow_pickle=False)

    @classmethod
    def load(cls, folder: Path) -> TrainingReference | None:
        """The reference saved in ``folder`` (None for a model saved without one)."""
        path = folder / REF_JSON
        if not path.is_file():
            return None
        body = json.loads(path.read_text())
        vec = folder / REF_VECTORS
        return cls(
            labels=tuple(body["labels"]),
            predicted_label_counts={k: int(v) for k, v in body["predicted_label_counts"].items()},
            lengths=tuple(body["lengths"]),
            vocab=tuple(body.get("vocab", ())),
            oov_rates=tuple(body.get("oov_rates", ())),
            n_train=int(body.get("n_train", 0)),
            vectors=np.load(vec, allow_pickle=False) if vec.is_file() else None,
        )


def build_reference(
    *,
    train_texts: Sequence[str],
    train_vectors: Features | None,
    test_texts: Sequence[str],
    test_pred_labels: Sequence[str],
    labels: Sequence[str],
    seed: int = 0,
    max_vectors: int = REFERENCE_VECTORS,
    max_lengths: int = 5000,
    vocab_size: int = 30_000,
) -> TrainingReference:
    """Summary statistics of the training data, and a sample of its embeddings (dense only)."""
    rng = np.random.default_rng(seed)
    counts = Counter(t for text in train_texts for t in tokens(text))
    vocab = tuple(t for t, _ in counts.most_common(vocab_size))
    vset = frozenset(vocab)
    idx = rng.permutation(len(train_texts))[:max_lengths]
    pred = Counter(test_pred_labels)
    vectors = None
    if train_vectors is not None and isinstance(train_vectors, np.ndarray):
        take = rng.permutation(len(train_vectors))[:max_vectors]
        vectors = np.asarray(train_vectors[take], dtype=np.float32)
    return TrainingReference(
        labels=tuple(labels),
        predicted_label_counts={lab: int(pred.get(lab, 0)) for lab in labels},
        lengths=tuple(len(train_texts[i]) for i in idx),
        vocab=vocab,
        oov_rates=tuple(round(oov_rate(t, vset), 5) for t in test_texts),
        n_train=len(train_texts),
        vectors=vectors,
    )
