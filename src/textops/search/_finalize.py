"""After the trials: pick the winner, refit it on train + validation, score it once on test,
log everything to the parent run, save it as an MLflow model and register it."""

from __future__ import annotations

import logging
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from textops.data import Dataset, NormalizationOptions
from textops.embed import EmbeddingCache, encode_texts, make_embedder
from textops.errors import TextopsError
from textops.search._config import SearchConfig
from textops.search._heads import HEADS, build_head
from textops.search._pipeline import TextClassifier
from textops.track import (
    MlflowTracker,
    ModelRegistry,
    Tracker,
    capture_env_lock,
    confusion_figure,
    evaluate,
    save_pyfunc,
)

__all__ = ["finalize", "leaderboard", "pick_winner"]

log = logging.getLogger("textops.search")


def _row(t: Any) -> dict[str, Any]:
    values = t.values or ([t.value] if t.value is not None else [])
    return {
        "trial": t.number,
        "state": t.state.name,
        "embedder": t.user_attrs.get("embedder"),
        "head": t.user_attrs.get("head"),
        "params": t.user_attrs.get("params", {}),
        "cv_macro_f1": values[0] if values else None,
        "latency_ms": t.user_attrs.get("latency_ms"),
    }


def leaderboard(study: Any, top: int = 10) -> list[dict[str, Any]]:
    rows = [_row(t) for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    rows.sort(key=lambda r: -(r["cv_macro_f1"] or 0))
    return rows[:top]


def pick_winner(study: Any, config: SearchConfig) -> tuple[Any, list[dict[str, Any]]]:
    """The best trial; in Pareto mode the most accurate front trial within the latency budget."""
    complete = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    if not complete:
        raise TextopsError(
            "no trial completed; raise --trials or --timeout and run again "
            "(finished trials are kept)"
        )
    if config.objective == "f1":
        return study.best_trial, []
    front = sorted(study.best_trials, key=lambda t: t.values[1])
    pareto = [_row(t) for t in front]
    ok = [t for t in front if config.max_latency_ms is None or t.values[1] <= config.max_latency_ms]
    if not ok:
        log.warning(
            "no Pareto trial meets --max-latency-ms %s; taking the fastest", config.max_latency_ms
        )
        return front[0], pareto
    return max(ok, key=lambda t: t.values[0]), pareto


#: seconds finalising takes besides refitting: scoring test, measuring latency, the drift
#: reference, saving and registering the model; the report (and bench/search.py) gives the
#: measured ``finalize_seconds`` next to ``finalize_estimate_seconds``
FINALIZE_FIXED_S = 6.0
#: loading a transformer model to time uncached predictions (bench/embed_cache.py: MiniLM 6.1 s)
MODEL_LOAD_S = 6.0


def finalize_estimate(study: Any, n_train: int, n_refit: int) -> float | None:
    """Seconds :func:`finalize` will take for the best trial so far (None before any trial
    completed: there is no winner to finalise yet). The fixed part, a model load for a
    transformer embedder, and the refit scaled from the trial's mean fold fit (and by how much
    faster the CV's solver is than the deployed head's; a calibrated head fits 3 calibration
    folds and the deployed model) plus, for an embedder fitted on data, its fit on a fold."""
    from optuna.trial import TrialState

    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not done:
        return None
    single = len(study.directions) == 1
    best = [max(done, key=lambda t: t.values[0])] if single else list(study.best_trials)
    worst = 0.0
    for t in best:
        folds = max(len(t.user_attrs.get("cv_scores", ())), 2)  # a complete trial ran them all
        per_fold = float(t.user_attrs.get("fit_seconds", 0.0)) / folds
        scale = n_refit / max(n_train * (folds - 1) / folds, 1.0)
        fit = per_fold * scale
        spec = HEADS.get(str(t.user_attrs.get("head")))
        emb = make_embedder(str(t.user_attrs.get("embedder")))
        if (
            spec is not None
            and spec.cv_factory is not None
            and (spec.cv_sparse or not emb.sparse_output)
        ):
            fit *= spec.cv_speedup  # CV fitted with a faster solver than the deployed head's
        if spec is not None and spec.calibrate is not None:
            fit *= 3.0
        # an embedder fitted on data (TF-IDF) is refitted once: from its slowest fold's fit
        fit += float(t.user_attrs.get("embed_fit_seconds", 0.0)) * scale
        load = MODEL_LOAD_S if emb.loads_model else 0.0
        worst = max(worst, fit + load)
    return FINALIZE_FIXED_S + worst


def _refit(
    key: str,
    head_key: str,
    params: dict[str, Any],
    texts: list[str],
    keys: list[bytes],
    labels: list[str],
    cache: EmbeddingCache,
    seed: int,
) -> tuple[Any, Any]:
    emb = make_embedder(key)
    if emb.requires_fit:
        emb.fit(texts)
    X = encode_texts(emb, texts, cache, keys=keys, show_progress=False).vectors
    head = build_head(head_key, params, scale=emb.needs_scaling, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        head.fit(X, np.asarray(labels, dtype=object))
    return emb, head


def _latency_ms(clf: TextClassifier, texts: list[str]) -> float:
    uncached = TextClassifier(
        embedder_key=clf.embedder_key,
        embedder=clf.embedder,
        head_key=clf.head_key,
        head=clf.head,
        head_params=clf.head_params,
        normalization=clf.normalization,
        cache=None,
    )
    sample = texts[:16]
    uncached.predict_proba(sample[:1])
    start = time.perf_counter()
    for t in sample:
        uncached.predict_proba([t])
    return 1000 * (time.perf_counter() - start) / max(len(sample), 1)


def _drift_reference(
    clf: TextClassifier,
    emb: Any,
    tr: dict[str, Any],
    va: dict[str, Any],
    te: dict[str, Any],
    test_proba: np.ndarray,
    cache: EmbeddingCache,
    seed: int,
) -> tuple[dict[str, Any], Any]:
    """What monitoring compares served traffic with: training texts' statistics, the model's
    label mix on test, and a sample of training embeddings (dense embedders only)."""
    from textops.monitor import build_reference

    texts, keys = tr["texts"] + va["texts"], tr["keys"] + va["keys"]
    vectors = None
    if emb.cacheable:  # dense and cached: reading them back is cheap
        vectors = encode_texts(emb, texts, cache, keys=keys, show_progress=False).vectors
    return build_reference(
        train_texts=texts,
        train_vectors=vectors,
        test_texts=te["texts"],
        test_pred_labels=[clf.labels[i] for i in test_proba.argmax(axis=1)]
        if len(te["texts"])
        else [],
        labels=clf.labels,
        seed=seed,
    )


def finalize(
    *,
    config: SearchConfig,
    study: Any,
    dataset: Dataset,
    data: dict[str, Any],
    tracker: Tracker,
    parent_run: str,
    plans: list[Any],
    home: str | Path | None,
    started: float,
) -> dict[str, Any]:
    began = time.monotonic()
    winner, pareto = pick_winner(study, config)
    tr, va = data["train"], data["validation"]
    estimate = finalize_estimate(study, len(tr["texts"]), len(tr["texts"]) + len(va["texts"]))
    ek, hk = winner.user_attrs["embedder"], winner.user_attrs["head"]
    params = winner.user_attrs["params"]
    if "epochs" in winner.user_attrs:  # stopped on the validation split in CV (see _early)
        params = {**params, "epochs": winner.user_attrs["epochs"]}
    cache = EmbeddingCache(home=home)
    te = data["test"]
    emb, head = _refit(
        ek,
        hk,
        params,
        tr["texts"] + va["texts"],
        tr["keys"] + va["keys"],
        tr["labels"] + va["labels"],
        cache,
        config.seed,
    )
    norm = NormalizationOptions(**dataset.manifest["normalization"])
    clf = TextClassifier(
        embedder_key=ek,
        embedder=emb,
        head_key=hk,
        head=head,
        head_params=params,
        normalization=norm,
        cache=cache,
    )
    # the test split, touched once, by the winner only
    X_test = encode_texts(emb, te["texts"], cache, keys=te["keys"], show_progress=False).vectors
    proba = np.asarray(head.predict_proba(X_test))
    test = evaluate(te["labels"], proba, clf.labels)
    test["latency_ms_per_text"] = _latency_ms(clf, te["texts"] or tr["texts"])

    cv_f1 = winner.values[0]
    tracker.log_params(
        parent_run,
        {"best.embedder": ek, "best.head": hk, **{f"best.{k}": v for k, v in params.items()}},
    )
    scalars = {f"test_{k}": v for k, v in test.items() if isinstance(v, int | float)}
    for lab, m in test["per_class"].items():
        scalars.update({f"test_{lab}_{k}": v for k, v in m.items() if k != "support"})
    tracker.log_metrics(parent_run, {"best_cv_macro_f1": cv_f1, **scalars})
    tracker.log_dict(parent_run, test, "test_metrics.json")
    figure = confusion_figure(test)
    tracker.log_figure(parent_run, figure, "confusion_matrix.png")
    import matplotlib.pyplot as plt

    plt.close(figure)
    board = leaderboard(study)
    tracker.log_dict(parent_run, board, "leaderboard.json")
    env_lock = capture_env_lock()
    tracker.log_dict(parent_run, env_lock, "env_lock.json")

    model_name = config.model_name or dataset.name
    finished = [t for t in study.get_trials(deepcopy=False) if t.state.is_finished()]
    report: dict[str, Any] = {
        "study": config.study_name,
        # finished ones: the portfolio's starts that no trial reached yet wait in the study
        "trials": len(finished),
        "trials_complete": sum(t.state.name == "COMPLETE" for t in finished),
        # failed trials (an exception in the head's fit) are logged as warnings as they happen
        "trials_failed": sum(t.state.name == "FAIL" for t in finished),
        "best": {
            "embedder": ek,
            "head": hk,
            "params": params,
            "cv_macro_f1": cv_f1,
            "trial": winner.number,
            "latency_ms": winner.user_attrs.get("latency_ms"),
        },
        "test": {k: v for k, v in test.items() if k not in ("confusion_matrix",)},
        "embedders": [{k: v for k, v in p.__dict__.items() if k != "extra"} for p in plans],
        "leaderboard": board,
        "dataset": {
            "name": dataset.name,
            "version": dataset.version,
            "fingerprint": dataset.fingerprint,
        },
        "tracking_uri": tracker.uri,
        "run_id": parent_run,
        "model_uri": None,
        "model_version": None,
        "alias": None,
        "model_name": model_name,
    }
    if pareto:
        report["pareto_front"] = pareto
    registry = (
        ModelRegistry(tracker.uri)
        if config.register_model and isinstance(tracker, MlflowTracker)
        else None
    )
    identity = {
        "textops.study": config.study_name,
        "textops.trial": str(winner.number),
        "textops.dataset_fingerprint": dataset.fingerprint,
    }
    same = registry.find(model_name, identity) if registry is not None else None
    if same is not None:
        # a search run again without new trials: its winner is a version already
        reason = (
            f"winner unchanged: trial {winner.number} of study {config.study_name!r} is "
            f"version {same['version']} already; nothing new registered"
        )
        log.info("%s", reason)
        report.update(
            model_version=same["version"],
            alias=",".join(same["aliases"]) or None,
            model_uri=f"models:/{model_name}/{same['version']}",
            run_model_uri=f"runs:/{same['run_id']}/model",
            comparison={"reason": reason, "unchanged": True},
        )
    else:
        _save_and_register(
            report, clf, registry, tracker, parent_run, dataset, data, proba, cache, config,
            emb, env_lock, identity, score_tags={
                "textops.embedder": ek,
                "textops.head": hk,
                "textops.dataset": f"{dataset.name}@{dataset.version}",
                "textops.cv_macro_f1": f"{cv_f1:.6f}",
            },
        )  # fmt: skip
    report["seconds"] = round(time.monotonic() - started, 2)
    report["finalize_seconds"] = round(time.monotonic() - began, 2)
    report["finalize_estimate_seconds"] = None if estimate is None else round(estimate, 2)
    return report


def _save_and_register(
    report: dict[str, Any],
    clf: TextClassifier,
    registry: ModelRegistry | None,
    tracker: Tracker,
    parent_run: str,
    dataset: Dataset,
    data: dict[str, Any],
    proba: np.ndarray,
    cache: EmbeddingCache,
    config: SearchConfig,
    emb: Any,
    env_lock: dict[str, Any],
    identity: dict[str, str],
    score_tags: dict[str, str],
) -> None:
    """Save the winner as an MLflow model in the parent run and register it (champion when it
    beats the champion on the same test split)."""
    tr, va, te = data["train"], data["validation"], data["test"]
    with tempfile.TemporaryDirectory() as tmp:
        path = save_pyfunc(
            clf,
            Path(tmp) / "model",
            env_lock=env_lock,
            example_texts=te["texts"] or tr["texts"],
            metadata={"dataset": dataset.name, "fingerprint": dataset.fingerprint},
            drift_reference=_drift_reference(clf, emb, tr, va, te, proba, cache, config.seed),
        )
        source = tracker.log_artifacts(parent_run, path, "model")
    report["run_model_uri"] = f"runs:/{parent_run}/model"
    if registry is None:
        report["model_uri"] = report["run_model_uri"]
        return
    model_name = report["model_name"]

    def score_champion(uri: str) -> float:
        from textops.track import load_classifier

        champion, _ = load_classifier(uri, tracker.uri)
        return float(
            evaluate(te["labels"], champion.predict_proba(te["texts"]), champion.labels)["macro_f1"]
        )

    reg = registry.register(
        name=model_name,
        source=source,
        run_id=parent_run,
        macro_f1=report["test"]["macro_f1"],
        fingerprint=dataset.fingerprint,
        score_champion=score_champion,
        tags={**score_tags, **identity},
    )
    tracker.log_dict(parent_run, reg["comparison"], "champion_comparison.json")
    tracker.set_tags(
        parent_run,
        {"textops.model_version": str(reg["version"]), "textops.alias": reg["alias"]},
    )
    report.update(
        model_version=reg["version"],
        alias=reg["alias"],
        model_uri=f"models:/{model_name}/{reg['version']}",
        comparison=reg["comparison"],
    )
