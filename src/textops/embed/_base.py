"""The :class:`Embedder` contract every backend follows (scikit-learn's transformer contract).

* ``__init__`` only stores keyword-only parameters; nothing heavy happens until ``fit`` or
  ``transform`` (so ``clone``, ``get_params`` and ``set_params`` work and are cheap).
* ``transform(texts)`` returns one row per text: a float32 ``numpy`` array, or a SciPy sparse
  matrix for backends that are not ``cacheable`` (TF-IDF).
* ``identity()`` describes everything that decides the numbers: backend, model identity (hash of
  its weight files), the options that change output, and the versions of the libraries that do
  numerics. The embedding cache keys on it, so a changed model or option never hits old entries.
"""

from __future__ import annotations

import functools
import importlib.metadata
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from textops._types import JSON, Features, RuntimeInfo, Target

__all__ = ["Embedder", "FoldViews", "in_length_order", "library_versions"]

#: ``fold_views(texts)(tr, va)``: the (train, held-out) rows of one fold of ``texts``
FoldViews = Callable[[np.ndarray, np.ndarray], tuple[Any, Any]]


def in_length_order(
    texts: list[str], batch_size: int, encode: Callable[[list[str]], np.ndarray]
) -> np.ndarray:
    """``encode`` run on batches of similar length, longest first (they pad little, as in
    sentence-transformers), the rows put back in the texts' order."""
    order = np.argsort([-len(t) for t in texts], kind="stable")
    parts = [
        encode([texts[i] for i in order[lo : lo + batch_size]])
        for lo in range(0, len(texts), batch_size)
    ]
    if not parts:
        return np.zeros((0, 0), dtype=np.float32)
    out = np.empty((len(texts), parts[0].shape[1]), dtype=np.float32)
    out[order] = np.concatenate(parts)
    return out


def library_versions(names: Sequence[str]) -> dict[str, str]:
    """The installed versions of ``names`` (part of an embedder's identity)."""
    return {name: _version(name) for name in names}


@functools.cache
def _version(name: str) -> str:
    # read once per process: parsing a package's METADATA took 3 of the 12 ms a warm cache
    # read of 5k texts cost (bench/embed_cache.py), and installs do not change under a process
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not-installed"


def _option(value: object) -> object:
    """A parameter as identity options: an embedder (or a list of them: a stacked one's
    members) by its own options."""
    if isinstance(value, Embedder):
        return value.identity()["options"]
    if isinstance(value, list | tuple) and value and all(isinstance(v, Embedder) for v in value):
        return [v.identity()["options"] for v in value]
    return value


class Embedder(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Base class of embedding backends. Subclasses implement ``_encode`` and ``_model_id``."""

    #: distributions whose versions change this backend's numbers (part of the cache key)
    numeric_libraries: ClassVar[tuple[str, ...]] = ("numpy",)
    #: parameters that change speed or placement but not the numbers (left out of the cache key)
    runtime_params: ClassVar[frozenset[str]] = frozenset({"batch_size", "device"})
    #: whether outputs are dense, per-text and stable, so they may be cached by text hash
    cacheable: ClassVar[bool] = True
    #: whether ``fit`` must see training texts before ``transform`` (e.g. TF-IDF's vocabulary)
    requires_fit: ClassVar[bool] = False
    #: whether columns are on raw, unequal scales (heads then standardise them first)
    needs_scaling: ClassVar[bool] = False
    #: whether ``transform`` returns a SciPy sparse matrix
    sparse_output: ClassVar[bool] = False
    #: whether first use loads a transformer network (seconds, not milliseconds: the search
    #: keeps that time free in its budget when such a winner must be refitted and timed)
    loads_model: ClassVar[bool] = False
    #: the parameter holding a folder of trained weights (a fine-tuned encoder's), which a
    #: saved model copies into itself; its bytes are in ``_model_id``, its path is not identity
    bundle_param: ClassVar[str | None] = None

    def fit(self, texts: Sequence[str], y: Target | None = None) -> Embedder:
        return self

    def transform(self, texts: Sequence[str]) -> Features:
        if isinstance(texts, str):
            raise TypeError("transform takes a sequence of texts, not one string")
        out = self._encode(list(texts))
        if isinstance(out, np.ndarray):
            return np.ascontiguousarray(out, dtype=np.float32)
        return out

    def fold_views(self, texts: list[str]) -> FoldViews:
        """For cross-validation of an embedder fitted on data: a function of one fold's row
        indices ``(tr, va)`` into ``texts`` giving what fitting a copy on ``texts[tr]`` and
        transforming ``texts[tr]`` and ``texts[va]`` gives. Here, exactly that, per call;
        TF-IDF computes it from one analysis of every text into n-gram counts instead of
        three per fold (character n-grams of long documents are most of its fit)."""
        from sklearn.base import clone

        def views(tr: np.ndarray, va: np.ndarray) -> tuple[Any, Any]:
            fitted = clone(self).fit([texts[i] for i in tr])
            return fitted.transform([texts[i] for i in tr]), fitted.transform(
                [texts[i] for i in va]
            )

        return views

    def cached_parts(self) -> list[Embedder]:
        """Cacheable embedders this one is built from (a hybrid's sentence encoder): callers
        with a cache read their rows from it (:meth:`encode_parts`). Most backends have none."""
        return []

    def encode_parts(self, texts: list[str], encode: Callable[[Embedder], np.ndarray]) -> Features:
        """``transform(texts)``, with the rows of each of :meth:`cached_parts` given by
        ``encode(part)`` (for the same ``texts``, e.g. through a cache). Without parts, the
        same as ``transform``."""
        return self.transform(texts)

    def _encode(self, texts: list[str]) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _model_id(self) -> str:
        """A string that changes whenever the model's weights change."""
        raise NotImplementedError  # pragma: no cover - abstract

    def identity(self) -> JSON:
        """Everything that decides this embedder's numbers; the embedding cache keys on it."""
        skip = self.runtime_params | {self.bundle_param}
        params = {k: _option(v) for k, v in self.get_params(deep=False).items() if k not in skip}
        return {
            "backend": f"{type(self).__module__.rsplit('.', 1)[-1]}.{type(self).__name__}",
            "model": self._model_id(),
            "options": params,
            "libraries": library_versions(self.numeric_libraries),
        }

    def describe(self) -> RuntimeInfo:
        """Where the model runs (reported by ``cache verify``); backends add details."""
        return {"device": "cpu"}
