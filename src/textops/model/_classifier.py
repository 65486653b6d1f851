"""A fitted text classifier: normalisation -> embedder -> head, saved without pickle (skops).

On disk (a folder)::

    classifier.json   embedder key, params and identity, labels, normalisation, head key/params
    head.skops        the fitted head (skops; loaded only with an allowlist of types)
    embedder.skops    only for fitted embedders (TF-IDF); others are rebuilt from the table
    encoder/          only for trained encoders (a fine-tune): their weights (safetensors) and
                      tokenizer, the folder the embedder's ``bundle_param`` points to

Loading checks that the rebuilt embedder has the identity recorded at training time (same model
weights hash, options and numeric library versions) and warns when it does not.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from textops._types import JSON, Features, Params
from textops.data import NormalizationOptions, TextDecoding, prepare_texts
from textops.embed import Embedder, EmbeddingCache, HybridEmbedder, encode_texts, make_embedder
from textops.errors import ModelLoadError, TextopsError
from textops.model._reference import TrainingReference
from textops.model._skops import skops_dump, skops_load

if TYPE_CHECKING:
    from sklearn.base import BaseEstimator

__all__ = ["Packaged", "Scored", "TextClassifier", "stored_vectors"]

log = logging.getLogger("textops.model")


#: where a trained encoder's folder lives inside a saved model
BUNDLE_DIR = "encoder"


def _params_json(emb: Embedder) -> JSON:
    """An embedder's parameters for ``classifier.json``; embedder-valued ones (a hybrid's
    views) as their class and parameters; a trained encoder's folder as its place in the
    saved model."""
    out: JSON = {}
    for name, value in emb.get_params(deep=False).items():
        if name == emb.bundle_param:
            out[name] = BUNDLE_DIR
        elif isinstance(value, Embedder):
            out[name] = {"class": type(value).__name__, "params": _params_json(value)}
        else:
            out[name] = value
    return out


def _upgrade(emb: Embedder) -> Embedder:
    """An embedder saved by textops 0.1.0: a hybrid named its views by table key."""
    if isinstance(emb, HybridEmbedder):
        for name in ("sparse", "dense"):
            value = getattr(emb, name)
            if isinstance(value, str):
                setattr(emb, name, make_embedder(value))
    return emb


def stored_vectors(
    embedder: Embedder,
    stored: Sequence[str],
    cache: EmbeddingCache | None,
    keys: Sequence[bytes] | None = None,
) -> Features:
    """``embedder``'s features of prepared texts through ``cache``: the one way the model
    layer encodes (training, scoring, the drift reference and prediction alike)."""
    return encode_texts(embedder, stored, cache, keys=keys, show_progress=False).vectors


@dataclass(frozen=True)
class Scored:
    """A batch's probabilities (columns: the classifier's labels) and its dense embeddings."""

    proba: np.ndarray
    embeddings: np.ndarray | None


@dataclass(frozen=True)
class Packaged:
    """A classifier saved with its reference (``folder``), and its probabilities (columns:
    ``labels``) on a few example texts."""

    folder: Path
    labels: list[str]
    example_texts: list[str]
    example_proba: np.ndarray


@contextlib.contextmanager
def _fitted_here() -> Iterator[None]:
    """scikit-learn without checking, on every call, the hyper-parameters and arguments of
    estimators and functions that this model fitted and calls itself (the checks are for a
    user's own calls; on a served model's small batches they are a large part of the time:
    bench/serve.py's request path). Thread-local: other threads keep the checks."""
    import sklearn

    with sklearn.config_context(skip_parameter_validation=True):
        yield


class TextClassifier:
    """Normalise, embed, classify. ``predict_proba`` columns follow ``labels``."""

    def __init__(
        self,
        *,
        embedder_key: str,
        embedder: Embedder,
        head_key: str,
        head: BaseEstimator,
        head_params: Params,
        normalization: NormalizationOptions,
        cache: EmbeddingCache | None = None,
        decoding: TextDecoding | None = None,
    ) -> None:
        self.embedder_key = embedder_key
        self.embedder = embedder
        self.head_key = head_key
        self.head = head
        self.head_params = head_params
        self.normalization = normalization
        self.cache = cache
        #: how the training texts were decoded and repaired (None: a model saved before
        #: textops recorded it, whose texts are only normalised)
        self.decoding = decoding

    @property
    def labels(self) -> list[str]:
        classes = self.head.classes_
        cached = self.__dict__.get("_labels")
        if cached is None or cached[0] is not classes:  # the head refitted: labels again
            cached = self.__dict__["_labels"] = (classes, [str(c) for c in classes])
        return list(cached[1])

    def prepare(self, texts: Sequence[str]) -> list[str]:
        """``texts`` as the training texts were stored: repaired as they were (mojibake,
        control characters, HTML entities when asked), then normalised."""
        return prepare_texts(texts, self.normalization, self.decoding)

    def embed(self, texts: Sequence[str]) -> Features:
        return self.vectors(self.prepare(texts))

    def vectors(self, stored: Sequence[str], keys: Sequence[bytes] | None = None) -> Features:
        """The embedder's features of texts already prepared (a dataset's stored texts),
        through the cache (by ``keys``, their sha256, when given)."""
        return stored_vectors(self.embedder, stored, self.cache, keys)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("predict_proba takes a list of texts, not one string")
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float64)
        with _fitted_here():
            return np.asarray(self.head.predict_proba(self.embed(texts)), dtype=np.float64)

    def predict_with_embeddings(self, texts: Sequence[str]) -> Scored:
        """Probabilities and the dense embeddings the head saw (None for sparse features such
        as TF-IDF, or no texts): what a served model hands to drift monitoring, from one
        encode."""
        if not texts:
            return Scored(self.predict_proba(texts), None)
        with _fitted_here():
            X = self.embed(texts)
            proba = np.asarray(self.head.predict_proba(X), dtype=np.float64)
        return Scored(proba, X if isinstance(X, np.ndarray) else None)

    def predict(self, texts: Sequence[str]) -> list[str]:
        proba = self.predict_proba(texts)
        labels = self.labels
        return [labels[i] for i in proba.argmax(axis=1)]

    # -- persistence -----------------------------------------------------------------------
    def describe(self) -> JSON:
        return {
            "format": 1,
            "embedder": {
                "key": self.embedder_key,
                "params": _params_json(self.embedder),
                "identity": self.embedder.identity(),
                "fitted": self.embedder.requires_fit,
                "bundle": self.embedder.bundle_param,
            },
            "head": {
                "key": self.head_key,
                "params": self.head_params,
                "class": type(self.head).__name__,
            },
            "labels": self.labels,
            "normalization": self.normalization.model_dump(),
            **({"decoding": self.decoding.model_dump()} if self.decoding is not None else {}),
        }

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        skops_dump(self.head, path / "head.skops")
        if self.embedder.requires_fit:
            skops_dump(self.embedder, path / "embedder.skops")
        bundle = self.embedder.bundle_param
        if bundle is not None:
            src = Path(getattr(self.embedder, bundle)).resolve()
            if src != (path / BUNDLE_DIR).resolve():
                shutil.copytree(src, path / BUNDLE_DIR, dirs_exist_ok=True)
        (path / "classifier.json").write_text(
            json.dumps(self.describe(), indent=2, sort_keys=True, default=str)
        )
        return path

    def package(
        self,
        path: str | Path,
        *,
        reference: TrainingReference | None,
        example_texts: Sequence[str],
    ) -> Packaged:
        """The folder a served model is made of: this classifier with its drift reference
        beside it, and its predictions on ``example_texts`` (a model signature's example)."""
        folder = self.save(path)
        if reference is not None:
            reference.save(folder)
        texts = list(example_texts)
        return Packaged(folder, self.labels, texts, self.predict_proba(texts))

    @classmethod
    def load(cls, path: str | Path, *, cache: EmbeddingCache | None = None) -> TextClassifier:
        """The classifier saved in ``path``; a ModelLoadError naming the part that is damaged,
        missing or from another model (never a half-loaded model)."""
        path = Path(path)
        try:
            clf = cls._load(path, cache)
        except TextopsError:
            raise
        except Exception as exc:
            raise ModelLoadError(
                f"the model in {path} cannot be loaded ({_damaged(path, exc)}); the folder is "
                "damaged or incomplete: copy or download it again, or re-register the model"
            ) from exc
        recorded = clf.__dict__.get("_recorded_labels")
        if recorded is not None and [str(x) for x in recorded] != clf.labels:
            raise ModelLoadError(
                f"head.skops in {path} does not belong to this model: its labels are "
                f"{clf.labels}, classifier.json says {list(recorded)}; copy the folder again"
            )
        return clf

    @classmethod
    def _load(cls, path: Path, cache: EmbeddingCache | None) -> TextClassifier:
        meta = json.loads((path / "classifier.json").read_text())
        if not isinstance(meta, dict) or "embedder" not in meta or "head" not in meta:
            raise ValueError("classifier.json does not describe a textops classifier")
        emb_meta = meta["embedder"]
        if emb_meta.get("fitted"):
            embedder = _upgrade(skops_load(path / "embedder.skops"))
        else:
            params = dict(emb_meta["params"])
            if emb_meta.get("bundle"):
                params[emb_meta["bundle"]] = str(path / BUNDLE_DIR)
            embedder = make_embedder(emb_meta["key"], **params)
            now = embedder.identity()
            if now != emb_meta["identity"]:
                changed = sorted(k for k in now if now[k] != emb_meta["identity"].get(k))
                log.warning(
                    "the embedder %s differs from the one this model was trained with "
                    "(%s); predictions may drift - see `textops env check`",
                    emb_meta["key"],
                    ", ".join(changed),
                )
        clf = cls(
            embedder_key=emb_meta["key"],
            embedder=embedder,
            head_key=meta["head"]["key"],
            head=skops_load(path / "head.skops"),
            head_params=meta["head"]["params"],
            normalization=NormalizationOptions(**meta["normalization"]),
            cache=cache,
            decoding=TextDecoding(**meta["decoding"]) if meta.get("decoding") else None,
        )
        if isinstance(meta.get("labels"), list):
            clf.__dict__["_recorded_labels"] = meta["labels"]
        return clf


def _damaged(path: Path, exc: BaseException) -> str:
    """Which part of a model folder failed, in a few words."""
    import zipfile

    if isinstance(exc, FileNotFoundError):
        return f"{Path(str(exc.filename or '')).name or 'a file'} is missing"
    if isinstance(exc, json.JSONDecodeError):
        return f"classifier.json is empty or not JSON ({exc.msg})"
    if isinstance(exc, zipfile.BadZipFile | EOFError):
        return f"a .skops file is truncated or damaged ({exc})"
    return f"{type(exc).__name__}: {exc}"
