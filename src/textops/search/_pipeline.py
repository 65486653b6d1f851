"""A fitted text classifier: normalisation -> embedder -> head, saved without pickle.

On disk (a folder)::

    classifier.json   embedder key, params and identity, labels, normalisation, head key/params
    head.skops        the fitted head (skops; loaded only with an allowlist of types)
    embedder.skops    only for fitted embedders (TF-IDF); others are rebuilt from the table

Loading checks that the rebuilt embedder has the identity recorded at training time (same model
weights hash, options and numeric library versions) and warns when it does not.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from textops.data import NormalizationOptions, normalize_text
from textops.embed import Embedder, EmbeddingCache, encode_texts, make_embedder
from textops.errors import TextopsError

__all__ = ["TRUSTED_TYPES", "TextClassifier"]

log = logging.getLogger("textops.model")

#: Types skops may rebuild beyond its defaults: exactly those our heads and TF-IDF are made of.
TRUSTED_TYPES = frozenset(
    {
        "textops.search._calibration.TemperatureScaledClassifier",
        # models saved before temperature scaling (Platt-calibrated SVM and ridge heads)
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
        "collections.OrderedDict",
        "lightgbm.basic.Booster",
        "lightgbm.sklearn.LGBMClassifier",
        "interpret.glassbox._ebm._ebm.ExplainableBoostingClassifier",
        "builtins.dict_items",
        "numpy.float32",
        "numpy.float64",
        "numpy.int64",
        "textops.embed._tfidf.TfidfEmbedder",
        "textops.embed._tfidf.WordCharTfidfEmbedder",
        "textops.embed._hybrid.HybridEmbedder",
        "scipy.sparse._csr.csr_matrix",
        "sklearn.feature_extraction.text.TfidfVectorizer",
        "sklearn.feature_extraction.text.TfidfTransformer",
    }
)


def _skops_dump(obj: Any, path: Path) -> None:
    import skops.io as sio

    sio.dump(obj, path)


def _skops_load(path: Path) -> Any:
    import skops.io as sio

    untrusted = sio.get_untrusted_types(file=path)
    unknown = sorted(set(untrusted) - TRUSTED_TYPES)
    if unknown:
        raise TextopsError(
            f"{path.name} contains types textops does not trust: {unknown}; refusing to load. "
            "Only load models that textops itself saved"
        )
    return sio.load(path, trusted=list(untrusted))


class TextClassifier:
    """Normalise, embed, classify. ``predict_proba`` columns follow ``labels``."""

    def __init__(
        self,
        *,
        embedder_key: str,
        embedder: Embedder,
        head_key: str,
        head: Any,
        head_params: dict[str, Any],
        normalization: NormalizationOptions,
        cache: EmbeddingCache | None = None,
    ) -> None:
        self.embedder_key = embedder_key
        self.embedder = embedder
        self.head_key = head_key
        self.head = head
        self.head_params = head_params
        self.normalization = normalization
        self.cache = cache

    @property
    def labels(self) -> list[str]:
        return [str(c) for c in self.head.classes_]

    def embed(self, texts: Sequence[str]) -> Any:
        norm = [normalize_text(t, self.normalization) for t in texts]
        return encode_texts(self.embedder, norm, self.cache, show_progress=False).vectors

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("predict_proba takes a list of texts, not one string")
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float64)
        return np.asarray(self.head.predict_proba(self.embed(texts)), dtype=np.float64)

    def predict(self, texts: Sequence[str]) -> list[str]:
        proba = self.predict_proba(texts)
        labels = self.labels
        return [labels[i] for i in proba.argmax(axis=1)]

    # -- persistence -----------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        return {
            "format": 1,
            "embedder": {
                "key": self.embedder_key,
                "params": self.embedder.get_params(),
                "identity": self.embedder.identity(),
                "fitted": self.embedder.requires_fit,
            },
            "head": {
                "key": self.head_key,
                "params": self.head_params,
                "class": type(self.head).__name__,
            },
            "labels": self.labels,
            "normalization": self.normalization.model_dump(),
        }

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        _skops_dump(self.head, path / "head.skops")
        if self.embedder.requires_fit:
            _skops_dump(self.embedder, path / "embedder.skops")
        (path / "classifier.json").write_text(
            json.dumps(self.describe(), indent=2, sort_keys=True, default=str)
        )
        return path

    @classmethod
    def load(cls, path: str | Path, *, cache: EmbeddingCache | None = None) -> TextClassifier:
        path = Path(path)
        meta = json.loads((path / "classifier.json").read_text())
        emb_meta = meta["embedder"]
        if emb_meta.get("fitted"):
            embedder = _skops_load(path / "embedder.skops")
        else:
            embedder = make_embedder(emb_meta["key"], **emb_meta["params"])
            now = embedder.identity()
            if now != emb_meta["identity"]:
                changed = sorted(k for k in now if now[k] != emb_meta["identity"].get(k))
                log.warning(
                    "the embedder %s differs from the one this model was trained with "
                    "(%s); predictions may drift - see `textops env check`",
                    emb_meta["key"],
                    ", ".join(changed),
                )
        return cls(
            embedder_key=emb_meta["key"],
            embedder=embedder,
            head_key=meta["head"]["key"],
            head=_skops_load(path / "head.skops"),
            head_params=meta["head"]["params"],
            normalization=NormalizationOptions(**meta["normalization"]),
            cache=cache,
        )
