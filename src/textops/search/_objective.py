"""The Optuna objective: macro-F1 by stratified k-fold CV on the train split (and latency)."""

from __future__ import annotations

import os
import socket
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from textops.embed import EmbeddingCache, encode_texts, make_embedder
from textops.search._heads import HEADS, build_head
from textops.track import Tracker

__all__ = ["Objective", "compatible_heads"]


def compatible_heads(embedder: str, heads: Sequence[str]) -> list[str]:
    emb_cls = make_embedder(embedder)
    out = []
    for key in heads:
        spec = HEADS[key]
        if spec.embedders is not None and embedder not in spec.embedders:
            continue
        if emb_cls.sparse_output and not spec.accepts_sparse:
            continue
        out.append(key)
    return out


class Objective:
    """Callable for ``study.optimize``. Embeddings come from the cache, once per process."""

    def __init__(
        self,
        *,
        texts: list[str],
        labels: list[str],
        keys: list[bytes],
        embedders: list[str],
        heads: list[str],
        latency_ms: dict[str, float | None],
        folds: int,
        seed: int,
        multi: bool,
        home: str | Path | None,
        tracker: Tracker | None = None,
        parent_run_id: str | None = None,
    ) -> None:
        self.texts = texts
        self.y = np.asarray(labels, dtype=object)
        self.keys = keys
        self.embedders = embedders
        self.heads = {e: compatible_heads(e, heads) for e in embedders}
        self.embedders = [e for e in embedders if self.heads[e]]
        self.latency_ms = latency_ms
        self.folds = folds
        self.seed = seed
        self.multi = multi
        self.cache = EmbeddingCache(home=home)
        self.tracker = tracker
        self.parent = parent_run_id
        self._X: dict[str, Any] = {}

    def features(self, key: str) -> Any:
        if key not in self._X:
            emb = make_embedder(key)
            self._X[key] = (
                encode_texts(
                    emb, self.texts, self.cache, keys=self.keys, show_progress=False
                ).vectors
                if emb.cacheable
                else None
            )
        return self._X[key]

    def _fold_data(self, key: str, tr: np.ndarray, va: np.ndarray) -> tuple[Any, Any]:
        X = self.features(key)
        if X is not None:
            return X[tr], X[va]
        emb = make_embedder(key).fit([self.texts[i] for i in tr])  # fitted inside the fold
        return emb.transform([self.texts[i] for i in tr]), emb.transform(
            [self.texts[i] for i in va]
        )

    def __call__(self, trial: Any) -> float | tuple[float, float]:
        import optuna
        from sklearn.metrics import f1_score
        from sklearn.model_selection import StratifiedKFold

        trial.set_user_attr("host", socket.gethostname())
        trial.set_user_attr("pid", os.getpid())
        ek = trial.suggest_categorical("embedder", self.embedders)
        hk = trial.suggest_categorical(f"head.{ek}", self.heads[ek])
        params = HEADS[hk].space(trial)
        trial.set_user_attr("embedder", ek)
        trial.set_user_attr("head", hk)
        trial.set_user_attr("params", params)
        scale = make_embedder(ek).needs_scaling
        run = None
        if self.tracker is not None:
            run = self.tracker.start_run(
                f"trial-{trial.number}",
                parent_id=self.parent,
                tags={"textops.trial": str(trial.number)},
            )
            self.tracker.log_params(run, {"embedder": ek, "head": hk, **params})
        skf = StratifiedKFold(n_splits=self.folds, shuffle=True, random_state=self.seed)
        scores: list[float] = []
        fit_s = predict_s = 0.0
        n_pred = 0
        status = "FINISHED"
        # one BLAS thread: small dense solves run ~3x faster than with two fighting threads
        blas = threadpool_limits(1, user_api="blas")
        try:
            for fold, (tr, va) in enumerate(skf.split(np.zeros(len(self.y)), self.y)):
                Xtr, Xva = self._fold_data(ek, tr, va)
                est = build_head(hk, params, scale=scale, seed=self.seed, probability=False)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    t0 = time.perf_counter()
                    est.fit(Xtr, self.y[tr])
                    t1 = time.perf_counter()
                    pred = est.predict(Xva)
                    t2 = time.perf_counter()
                fit_s += t1 - t0
                predict_s += t2 - t1
                n_pred += len(va)
                scores.append(float(f1_score(self.y[va], pred, average="macro")))
                if not self.multi:
                    trial.report(float(np.mean(scores)), fold)
                    if trial.should_prune():
                        status = "KILLED"
                        raise optuna.TrialPruned(f"pruned after fold {fold + 1}")
        except optuna.TrialPruned:
            raise
        except Exception:
            status = "FAILED"
            raise
        finally:
            blas.restore_original_limits()
            f1 = float(np.mean(scores)) if scores else 0.0
            encode_ms = self.latency_ms.get(ek)  # None: not measured (cached, f1 objective)
            head_ms = 1000 * predict_s / max(n_pred, 1)
            latency = None if encode_ms is None else encode_ms + head_ms
            trial.set_user_attr("cv_scores", scores)
            trial.set_user_attr("latency_ms", latency)
            trial.set_user_attr("fit_seconds", fit_s)
            if self.tracker is not None and run is not None:
                self.tracker.log_metrics(
                    run,
                    {
                        "cv_macro_f1": f1,
                        "fit_seconds": fit_s,
                        "predict_seconds": predict_s,
                        "head_latency_ms": head_ms,
                        "folds_run": len(scores),
                        **({} if latency is None else {"latency_ms": latency}),
                    },
                )
                self.tracker.end_run(run, status)
        if self.multi:
            assert latency is not None, "the f1-latency objective measures every embedder"
            return f1, latency
        return f1
