"""How the search explores each head of the model's ``HEADS`` table: its hyperparameter space,
and how cross-validation fits it fast (a faster solver of the same objective, warm starts from
the nearest earlier trial, epoch-by-epoch early stopping, a clock checked between rounds).

One entry per head of ``textops.model.HEADS`` (a test holds the two tables equal).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from textops._types import Params
from textops.model import build_head

__all__ = ["HEAD_SEARCH", "HeadSearch", "cv_head"]


def _lbfgs_logreg(p: Params, seed: int) -> Any:
    from textops.search._lbfgs import LbfgsLogisticRegression

    return LbfgsLogisticRegression(C=p.get("C", 1.0), class_weight=p.get("class_weight"))


def _newton_svm(p: Params, seed: int) -> Any:
    from textops.search._l2svm import NewtonLinearSVC

    return NewtonLinearSVC(C=p.get("C", 1.0), class_weight=p.get("class_weight"))


def _space_logreg(t: Any) -> Params:
    return {
        "C": t.suggest_float("logreg.C", 1e-3, 1e2, log=True),
        "class_weight": t.suggest_categorical("logreg.class_weight", [None, "balanced"]),
    }


def _space_ridge(t: Any) -> Params:
    return {
        "alpha": t.suggest_float("ridge.alpha", 1e-3, 1e3, log=True),
        "class_weight": t.suggest_categorical("ridge.class_weight", [None, "balanced"]),
    }


def _space_linear_svm(t: Any) -> Params:
    return {
        "C": t.suggest_float("linear_svm.C", 1e-3, 1e1, log=True),
        "class_weight": t.suggest_categorical("linear_svm.class_weight", [None, "balanced"]),
    }


def _space_knn(t: Any) -> Params:
    return {
        "n_neighbors": t.suggest_int("knn.n_neighbors", 1, 50, log=True),
        "weights": t.suggest_categorical("knn.weights", ["uniform", "distance"]),
    }


def _space_mlp(t: Any) -> Params:
    return {
        "hidden": t.suggest_categorical("mlp.hidden", [64, 128, 256]),
        "alpha": t.suggest_float("mlp.alpha", 1e-6, 1e-1, log=True),
        "lr": t.suggest_float("mlp.lr", 1e-4, 1e-2, log=True),
    }


def _space_lightgbm(t: Any) -> Params:
    return {
        "n_estimators": t.suggest_int("lightgbm.n_estimators", 50, 400, log=True),
        "learning_rate": t.suggest_float("lightgbm.learning_rate", 0.02, 0.3, log=True),
        "num_leaves": t.suggest_int("lightgbm.num_leaves", 8, 64, log=True),
        "min_child_samples": t.suggest_int("lightgbm.min_child_samples", 5, 50, log=True),
        "class_weight": t.suggest_categorical("lightgbm.class_weight", [None, "balanced"]),
    }


def _space_ebm(t: Any) -> Params:
    return {
        "interactions": t.suggest_int("ebm.interactions", 0, 10),
        "learning_rate": t.suggest_float("ebm.learning_rate", 0.005, 0.1, log=True),
        "max_bins": t.suggest_categorical("ebm.max_bins", [64, 256]),
    }


def _space_finetune(t: Any) -> Params:
    return {
        "lr": t.suggest_float("finetune.lr", 1e-5, 2e-4, log=True),
        "epochs": t.suggest_int("finetune.epochs", 1, 4),
        "batch_size": t.suggest_categorical("finetune.batch_size", [8, 16, 32]),
        "max_length": t.suggest_categorical("finetune.max_length", [64, 128, 256]),
        "warmup": t.suggest_float("finetune.warmup", 0.0, 0.2),
        "weight_decay": t.suggest_categorical("finetune.weight_decay", [0.0, 0.01, 0.1]),
        "class_weight": t.suggest_categorical("finetune.class_weight", [None, "balanced"]),
    }


def _space_setfit(t: Any) -> Params:
    return {
        "lr": t.suggest_float("setfit.lr", 2e-5, 3e-4, log=True),
        "iterations": t.suggest_int("setfit.iterations", 2, 10),
        "epochs": t.suggest_int("setfit.epochs", 1, 8),
        "max_length": t.suggest_categorical("setfit.max_length", [64, 128]),
        "C": t.suggest_float("setfit.C", 1e-2, 1e2, log=True),
        "class_weight": t.suggest_categorical("setfit.class_weight", [None, "balanced"]),
    }


def _space_bilstm(t: Any) -> Params:
    return {
        "hidden": t.suggest_categorical("bilstm.hidden", [64, 128, 256]),
        "pooling": t.suggest_categorical("bilstm.pooling", ["max", "attention"]),
        "lr": t.suggest_float("bilstm.lr", 5e-4, 5e-3, log=True),
        "epochs": t.suggest_int("bilstm.epochs", 3, 15),
        "batch_size": t.suggest_categorical("bilstm.batch_size", [16, 32, 64]),
        "max_length": t.suggest_categorical("bilstm.max_length", [64, 128]),
        "class_weight": t.suggest_categorical("bilstm.class_weight", [None, "balanced"]),
    }


@dataclass(frozen=True)
class HeadSearch:
    """A head's search space and cross-validation shortcuts."""

    space: Callable[[Any], Params]
    #: the fitted attributes a fit can start from (``warm_start``): cross-validation starts a
    #: trial's fit on a fold from the solution of the nearest earlier trial on that fold
    warm_start: tuple[str, ...] = ()
    #: the same objective by a faster solver, for cross-validation on dense inputs (the
    #: deployed head always comes from the model's table)
    cv_factory: Callable[[Params, int], Any] | None = None
    #: ``cv_factory`` is used on dense inputs (embeddings) and on sparse ones (TF-IDF)
    cv_dense: bool = True
    cv_sparse: bool = False
    #: how many times faster ``cv_factory`` fits than the deployed head: the budget's estimate
    #: of finalising scales the CV's fit times by it for the refit
    cv_speedup: float = 1.0
    #: trained epoch by epoch and stopped on the validation split in cross-validation
    #: (``_early``); the deployed head trains for the epochs that won (``params["epochs"]``)
    early_stopping: bool = False
    #: ``fit`` takes ``callbacks=[f]``, each called after every training round (LightGBM):
    #: cross-validation stops a fold there when the trial's time runs out
    round_callbacks: bool = False
    #: ``cv_factory``'s fit takes ``products=``, a dict where fits on one fold's (dense)
    #: inputs keep what depends on the inputs only (the Newton SVM's Gram matrices)
    fold_products: bool = False
    #: parameters that cannot exceed the rows a fold trains on (k neighbours): a sampled
    #: value above that is lowered to it, in the trial's parameters and so in the refit
    at_most_rows: tuple[str, ...] = ()
    #: the parameters a few-labels search tries it with, once per embedder (those not named
    #: here: the head's own defaults). With a few dozen rows, tuning a head by CV mostly picks
    #: the luckiest value; one value that holds up across data sets is more accurate on test
    few_labels: Mapping[str, Any] = field(default_factory=dict)


HEAD_SEARCH: Mapping[str, HeadSearch] = MappingProxyType(
    {
        "logreg": HeadSearch(
            _space_logreg,
            # on unit-length sentence embeddings sklearn's C 1 underfits a few dozen rows;
            # bench/selection.py compares this one value with a CV-tuned choice
            few_labels={"C": 10.0},
            warm_start=("coef_", "intercept_"),
            # on TF-IDF only: on embeddings sklearn's lbfgs is as fast (bench/search.py
            # --solvers-only prints both gains)
            cv_factory=_lbfgs_logreg,
            cv_dense=False,
            cv_sparse=True,
            # no cv_speedup: alone (as the winner's refit runs) both solvers take the same
            # time; the L-BFGS gains 1.7x only when two trials fit at once, as in the search
        ),
        "ridge": HeadSearch(_space_ridge),
        "linear_svm": HeadSearch(
            _space_linear_svm,
            few_labels={"C": 0.1},
            warm_start=("coef_", "intercept_"),
            cv_factory=_newton_svm,
            cv_speedup=6.0,
            fold_products=True,
        ),
        "knn": HeadSearch(_space_knn, at_most_rows=("n_neighbors",)),
        "mlp": HeadSearch(_space_mlp, early_stopping=True),
        "lightgbm": HeadSearch(_space_lightgbm, round_callbacks=True),
        "ebm": HeadSearch(_space_ebm),
        # trained on texts, scored on the validation split epoch by epoch (_trained_trial)
        "finetune": HeadSearch(_space_finetune),
        "setfit": HeadSearch(_space_setfit),
        "bilstm": HeadSearch(_space_bilstm),
    }
)


def cv_head(
    key: str, params: Params, *, scale: bool, seed: int, dense: bool, prescaled: bool
) -> Any:
    """The head ``key`` for cross-validation: labels only (no calibration step), by the
    faster solver when there is one for these inputs."""
    search = HEAD_SEARCH[key]
    fast = search.cv_factory is not None and (search.cv_dense if dense else search.cv_sparse)
    return build_head(
        key,
        params,
        scale=scale,
        seed=seed,
        probability=False,
        prescaled=prescaled,
        factory=search.cv_factory if fast else None,
    )
