"""What cross-validation fits on: the train split's features per embedder, its stratified
folds, and each fold's arrays, computed once per process and shared by every trial (and every
trial thread)."""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable
from typing import Any

import numpy as np

from textops._types import Features
from textops.embed import (
    EMBEDDERS,
    EmbeddingCache,
    FoldViews,
    HybridEmbedder,
    encode_texts,
    make_embedder,
)
from textops.search._recipes import Recipe, RecipePool, augment_pool, synthetic_pool

__all__ = ["FoldData"]

#: dense fold arrays (train part, held-out part) are kept for every trial up to this size
_FOLD_CACHE_BYTES = 1 << 29


class FoldData:
    """The train split as integer label codes and per-embedder features, its ``folds``
    stratified folds, and the validation split (where heads trained epoch by epoch stop)."""

    def __init__(
        self,
        *,
        texts: list[str],
        labels: list[str],
        keys: list[bytes],
        folds: int,
        seed: int,
        cache: EmbeddingCache,
        validation: tuple[list[str], list[bytes], list[str]] | None = None,
        repeats: int = 1,
        subsets: dict[str, list[int]] | None = None,
        synthetic: tuple[list[str], list[str]] | None = None,
    ) -> None:
        self.texts = texts
        self.labels = labels
        #: LLM-written rows (texts, labels) for the ``llm`` recipe
        self.synthetic = synthetic
        self.keys = keys
        # integer codes: sklearn's label handling and macro-F1 on Python strings cost more
        # than a small linear fit
        names, self.y = np.unique(np.asarray(labels, dtype=object), return_inverse=True)
        self.codes = {str(n): i for i, n in enumerate(names)}
        #: the validation split (texts, keys, label codes); rows with a label train lacks are
        #: left out
        self.validation: tuple[list[str], list[bytes], np.ndarray] | None = None
        if validation is not None and validation[0]:
            code = {str(n): i for i, n in enumerate(names)}
            keep = [i for i, lab in enumerate(validation[2]) if lab in code]
            if keep:
                self.validation = (
                    [validation[0][i] for i in keep],
                    [validation[1][i] for i in keep],
                    np.array([code[validation[2][i]] for i in keep]),
                )
        self.folds = folds
        #: rounds of ``folds`` folds, each shuffled anew (repeated CV: few labels)
        self.repeats = repeats
        #: budget-sampled embedders: the train rows (indices) their folds are drawn from
        self.subsets = {k: np.asarray(v, dtype=np.int64) for k, v in (subsets or {}).items()}
        for key, rows in list(self.subsets.items()):  # a sampled hybrid's cached part: its rows
            dense = EMBEDDERS[key].parts.get("dense") if key in EMBEDDERS else None
            if dense is not None:
                self.subsets.setdefault(dense, rows)
        self._subset_splits: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        self.seed = seed
        self.cache = cache
        self._lock = threading.Lock()
        self._fit_locks: dict[str, threading.Lock] = {}
        #: per embedder fitted on data (TF-IDF): its fold views (``fold_views``), and the
        #: seconds a fit and transform of one fold's train part take (twice the analysis of
        #: as many texts): what refitting it for the winner will cost, scaled
        self._views: dict[str, FoldViews] = {}
        self.fit_seconds: dict[str, float] = {}
        self._X: dict[str, np.ndarray | None] = {}
        self._split_cache: list[tuple[np.ndarray, np.ndarray]] | None = None
        #: fold arrays per (embedder, fold, standardised): TF-IDF fitted per fold, and dense
        #: ones copied (and standardised) once instead of in every trial
        self._arrays: dict[tuple[str, int, bool], tuple[Any, Any]] = {}
        self._array_bytes = 0
        #: each fold's scaler (for the validation split); validation features per embedder,
        #: and as each fold's scaler standardises them
        self._scalers: dict[tuple[str, int], Any] = {}
        self._val: dict[tuple[str, int | None], Any] = {}
        #: per (embedder, fold, standardised): what solvers keep about those inputs
        self._products: dict[tuple[str, int, bool], dict[Hashable, np.ndarray]] = {}
        #: recipes' extra rows, and their features per embedder
        self._pools: dict[tuple[str, float | None], RecipePool] = {}
        self._pool_X: dict[tuple[str, str, float | None], np.ndarray] = {}

    def features(self, key: str) -> Features | None:
        """The train split's features by embedder ``key`` (from the cache), or None for an
        embedder fitted on data (TF-IDF), which each fold fits on its own train part."""
        with self._lock:
            if key not in self._X:
                emb = make_embedder(key)
                rows = self.subsets.get(key)
                if not emb.cacheable:
                    self._X[key] = None
                elif rows is None:
                    self._X[key] = encode_texts(
                        emb, self.texts, self.cache, keys=self.keys, show_progress=False
                    ).vectors
                else:  # sampled: its rows in place (its folds never index the others)
                    part = encode_texts(
                        emb,
                        [self.texts[i] for i in rows],
                        self.cache,
                        keys=[self.keys[i] for i in rows],
                        show_progress=False,
                    ).vectors
                    X = np.zeros((len(self.texts), part.shape[1]), dtype=part.dtype)
                    X[rows] = part
                    self._X[key] = X
            return self._X[key]

    def splits(self, key: str | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """The folds (train-split row indices); a budget-sampled embedder's are drawn from its
        sample, stratified the same way."""
        if key in self.subsets:
            return self._sample_splits(str(key))
        with self._lock:
            if self._split_cache is None:
                from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold

                skf: Any = (
                    StratifiedKFold(n_splits=self.folds, shuffle=True, random_state=self.seed)
                    if self.repeats == 1
                    else RepeatedStratifiedKFold(
                        n_splits=self.folds, n_repeats=self.repeats, random_state=self.seed
                    )
                )
                self._split_cache = list(skf.split(np.zeros(len(self.y)), self.y))
            return self._split_cache

    def fold_splits(self, folds: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """One round of ``folds`` stratified folds (fewer than the search's: a trained head
        whose trainings would not all fit the budget), seeded like the others."""
        from sklearn.model_selection import StratifiedKFold

        skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.seed)
        return list(skf.split(np.zeros(len(self.y)), self.y))

    def _sample_splits(self, key: str) -> list[tuple[np.ndarray, np.ndarray]]:
        from sklearn.model_selection import StratifiedKFold

        with self._lock:
            if key not in self._subset_splits:
                rows = self.subsets[key]
                skf = StratifiedKFold(n_splits=self.folds, shuffle=True, random_state=self.seed)
                self._subset_splits[key] = [
                    (rows[tr], rows[va]) for tr, va in skf.split(rows, self.y[rows])
                ]
            return self._subset_splits[key]

    def arrays(self, key: str, fold: int, standard: bool) -> tuple[Features, Features]:
        """Fold ``fold``'s (train part, held-out part) features, standardised by the train
        part's statistics when ``standard``. Kept read-only and shared while they fit."""
        with self._lock:
            if (key, fold, standard) in self._arrays:
                return self._arrays[key, fold, standard]
        tr, va = self.splits(key)[fold]
        X = self.features(key)
        if X is None and isinstance(make_embedder(key), HybridEmbedder):
            return self._hybrid_arrays(key, fold, standard)
        if X is None:
            # an embedder fitted on data (TF-IDF): as if fitted inside each fold, on the fold's
            # train part only
            pair = self._fold_views(key, tr, va)
            with self._lock:
                return self._arrays.setdefault((key, fold, standard), pair)
        Xtr, Xva = X[tr], X[va]
        if standard:
            from sklearn.preprocessing import StandardScaler

            scaler = StandardScaler().fit(Xtr)
            Xtr, Xva = scaler.transform(Xtr), scaler.transform(Xva)
            with self._lock:
                self._scalers[key, fold] = scaler
        with self._lock:
            if self._array_bytes + X.nbytes <= _FOLD_CACHE_BYTES:
                # read-only: every trial gets these same arrays (and solvers may keep
                # products of them, see ``_l2svm``)
                Xtr.setflags(write=False)
                Xva.setflags(write=False)
                self._arrays[key, fold, standard] = (Xtr, Xva)
                self._array_bytes += X.nbytes
        return Xtr, Xva

    def products(self, key: str, fold: int, standard: bool) -> dict[Hashable, np.ndarray]:
        """One dict per fold's inputs where a solver's fits keep products of them (every
        trial on the fold refits on the same read-only arrays with another C)."""
        with self._lock:
            return self._products.setdefault((key, fold, standard), {})

    def _fold_views(self, key: str, tr: np.ndarray, va: np.ndarray) -> tuple[Any, Any]:
        """Fold ``(tr, va)`` of embedder ``key``'s :meth:`Embedder.fold_views`, built once per
        process under the embedder's own lock (other embedders' folds go on meanwhile)."""
        with self._lock:
            lock = self._fit_locks.setdefault(key, threading.Lock())
        with lock:
            views = self._views.get(key)
            if views is None:
                started = time.perf_counter()
                views = make_embedder(key).fold_views(self.texts)
                pair = views(tr, va)
                # TF-IDF: one analysis of the train split (a fit then transform of a fold's
                # train part analyses (k-1)/k of it twice); per-fold fitting: one fold's fit,
                # doubled. Either way what refitting for the winner costs, within a factor of 2
                took = 2 * (time.perf_counter() - started) * (self.folds - 1) / self.folds
                with self._lock:
                    self._views[key] = views
                    self.fit_seconds[key] = took
                return pair
        return views(tr, va)

    def _hybrid_arrays(self, key: str, fold: int, standard: bool) -> tuple[Features, Features]:
        """A hybrid's fold arrays from its views' own: the sparse view's fold fit (shared with
        that embedder's trials, fitted once) and the dense view's cached rows."""
        emb = make_embedder(key)
        assert isinstance(emb, HybridEmbedder)
        # the views are table entries of their own: their fold arrays are theirs, shared
        parts = EMBEDDERS[key].parts
        tr, va = self.splits(key)[fold]
        if key in self.subsets:  # on its sample: the sparse view fitted on the sample's folds
            s_tr, s_va = self._fold_views(parts["sparse"], tr, va)
        else:
            s_tr, s_va = self.arrays(parts["sparse"], fold, False)
        dense = self.features(parts["dense"])
        assert dense is not None  # a hybrid's dense view is cacheable: its rows are encoded
        pair = (emb.combine(s_tr, dense[tr]), emb.combine(s_va, dense[va]))
        with self._lock:
            pair = self._arrays.setdefault((key, fold, standard), pair)
            self.fit_seconds[key] = self.fit_seconds.get(parts["sparse"], 0.0)
        return pair

    # -- data recipes ---------------------------------------------------------------------------
    def pool(self, recipe: Recipe) -> RecipePool:
        """The recipe's extra rows over the train split, made once per process."""
        slot = (recipe.name, recipe.strength)
        with self._lock:
            if slot not in self._pools:
                if recipe.name == "augment":
                    assert recipe.strength is not None
                    pool = augment_pool(self.texts, self.labels, recipe.strength, self.seed)
                elif recipe.name == "llm" and self.synthetic is not None:
                    pool = synthetic_pool(*self.synthetic, known=set(self.codes))
                else:
                    raise ValueError(f"recipe {recipe.name!r} has no rows here")
                self._pools[slot] = pool
            return self._pools[slot]

    def extra(
        self, key: str, recipe: Recipe, fold: int, standard: bool
    ) -> tuple[Features, np.ndarray]:
        """Fold ``fold``'s extra training rows of ``recipe`` (features, label codes): only
        those made from the fold's own training rows, standardised like them."""
        pool = self.pool(recipe)
        slot = (key, recipe.name, recipe.strength)
        if slot not in self._pool_X:
            vectors = encode_texts(make_embedder(key), pool.texts, self.cache, show_progress=False)
            with self._lock:
                self._pool_X[slot] = vectors.vectors
        tr, _ = self.splits(key)[fold]
        idx = pool.take(tr, recipe.mix, self.seed)
        X = self._pool_X[slot][idx]
        if standard:
            self.arrays(key, fold, True)  # fits the fold's scaler
            X = self._scalers[key, fold].transform(X)
        y = np.array([self.codes[pool.labels[i]] for i in idx], dtype=self.y.dtype)
        return X, y

    def validation_arrays(self, key: str, fold: int, standard: bool) -> Features:
        """The validation split's features (dense embedders), standardised like fold
        ``fold``'s train part when ``standard``; encoded once per embedder."""
        assert self.validation is not None
        slot = (key, fold if standard else None)
        if slot not in self._val:
            raw = self._val.get((key, None))
            if raw is None:
                texts, keys, _ = self.validation
                emb = make_embedder(key)
                raw = encode_texts(emb, texts, self.cache, keys=keys, show_progress=False).vectors
                self._val[key, None] = raw
            if standard:
                self.arrays(key, fold, True)  # fits the fold's scaler
                self._val[slot] = self._scalers[key, fold].transform(raw)
        return self._val[slot]
