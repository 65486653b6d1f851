"""The one table of classifier heads. Each builds a scikit-learn estimator from a parameter dict
and declares its search space; ``tests/search/test_heads.py`` runs over every entry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from textops.errors import UnknownPluginError

__all__ = ["HEADS", "NORMALIZATIONS", "HeadSpec", "build_head", "standardizes"]

#: how a head's inputs are normalised: as the embedder gives them, or standardised per feature
NORMALIZATIONS = ("none", "standard")

Params = dict[str, Any]


def _logreg(p: Params, seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(
        C=p.get("C", 1.0), class_weight=p.get("class_weight"), max_iter=3000, random_state=seed
    )


def _lbfgs_logreg(p: Params, seed: int) -> Any:
    from textops.search._lbfgs import LbfgsLogisticRegression

    return LbfgsLogisticRegression(C=p.get("C", 1.0), class_weight=p.get("class_weight"))


def _ridge(p: Params, seed: int) -> Any:
    from sklearn.linear_model import RidgeClassifier

    return RidgeClassifier(alpha=p.get("alpha", 1.0), class_weight=p.get("class_weight"))


def _linear_svm(p: Params, seed: int) -> Any:
    from sklearn.svm import LinearSVC

    return LinearSVC(C=p.get("C", 1.0), class_weight=p.get("class_weight"), random_state=seed)


def _newton_svm(p: Params, seed: int) -> Any:
    from textops.search._l2svm import NewtonLinearSVC

    return NewtonLinearSVC(C=p.get("C", 1.0), class_weight=p.get("class_weight"))


def _calibrate_temperature(est: Any) -> Any:
    """Probabilities for a margin classifier that keep its labels: one temperature fitted on
    3-fold out-of-fold decisions, applied to one model fitted on all the data (see
    ``_calibration``)."""
    from textops.search._calibration import TemperatureScaledClassifier

    return TemperatureScaledClassifier(est, cv=3)


def _knn(p: Params, seed: int) -> Any:
    from sklearn.neighbors import KNeighborsClassifier

    return KNeighborsClassifier(
        n_neighbors=p.get("n_neighbors", 10),
        weights=p.get("weights", "distance"),
        metric="cosine",
        algorithm="brute",
    )


def _mlp(p: Params, seed: int) -> Any:
    from sklearn.neural_network import MLPClassifier

    # "epochs": how long training on the CV folds ran until the validation split stopped it
    # (see _early); without it, sklearn's own early stopping on 15% of the training data
    epochs = p.get("epochs")
    return MLPClassifier(
        hidden_layer_sizes=(p.get("hidden", 128),),
        alpha=p.get("alpha", 1e-4),
        learning_rate_init=p.get("lr", 1e-3),
        early_stopping=epochs is None,
        validation_fraction=0.15,
        n_iter_no_change=8,
        max_iter=300 if epochs is None else int(epochs),
        random_state=seed,
    )


def _lightgbm(p: Params, seed: int) -> Any:
    from lightgbm import LGBMClassifier

    return LGBMClassifier(
        n_estimators=p.get("n_estimators", 200),
        learning_rate=p.get("learning_rate", 0.1),
        num_leaves=p.get("num_leaves", 31),
        min_child_samples=p.get("min_child_samples", 20),
        class_weight=p.get("class_weight"),
        subsample_freq=0,
        random_state=seed,
        n_jobs=1,
        verbose=-1,
    )


def _ebm(p: Params, seed: int) -> Any:
    from interpret.glassbox import ExplainableBoostingClassifier

    return ExplainableBoostingClassifier(
        interactions=p.get("interactions", 5),
        learning_rate=p.get("learning_rate", 0.02),
        max_bins=p.get("max_bins", 256),
        outer_bags=2,
        random_state=seed,
        n_jobs=1,
    )


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


@dataclass(frozen=True)
class HeadSpec:
    """A table entry: how to build the head, its search space, what inputs it takes."""

    description: str
    factory: Callable[[Params, int], Any]
    space: Callable[[Any], Params]
    #: embedder keys this head is offered with (None: any embedder)
    embedders: frozenset[str] | None = None
    accepts_sparse: bool = True
    #: wraps the fitted-for-deployment head so it gives probabilities; CV scoring (which needs
    #: only labels) skips it, which makes trials of margin classifiers ~4x cheaper
    calibrate: Callable[[Any], Any] | None = None
    #: the fitted attributes a fit can start from (``warm_start``): cross-validation starts a
    #: trial's fit on a fold from the solution of the nearest earlier trial on that fold
    warm_start: tuple[str, ...] = ()
    #: the same objective by a faster solver, for cross-validation on dense inputs (the
    #: deployed head always comes from ``factory``)
    cv_factory: Callable[[Params, int], Any] | None = None
    #: ``cv_factory`` takes sparse inputs (TF-IDF) too
    cv_sparse: bool = False
    #: how many times faster ``cv_factory`` fits than the deployed head's ``factory``: the
    #: finalize estimate scales the CV's fit times by it for the refit
    cv_speedup: float = 1.0
    #: trees: input scaling changes nothing, so normalisation is not searched for them
    scale_invariant: bool = False
    #: trained epoch by epoch and stopped on the validation split in cross-validation
    #: (``_early``); the deployed head trains for the epochs that won (``params["epochs"]``)
    early_stopping: bool = False
    #: ``fit`` takes ``callbacks=[f]``, each called after every training round (LightGBM):
    #: cross-validation stops a fold there when the trial's time runs out
    round_callbacks: bool = False


HEADS: Mapping[str, HeadSpec] = MappingProxyType(
    {
        "logreg": HeadSpec(
            "logistic regression (C, class weights)",
            _logreg,
            _space_logreg,
            warm_start=("coef_", "intercept_"),
            cv_factory=_lbfgs_logreg,
            cv_sparse=True,
            # bench/search.py --solvers-only: 1.2x on MiniLM; on TF-IDF about 2x (one-off)
            cv_speedup=2.0,
        ),
        "ridge": HeadSpec(
            "ridge (least-squares) classifier; the deployed model adds temperature-scaled "
            "probabilities",
            _ridge,
            _space_ridge,
            calibrate=_calibrate_temperature,
        ),
        "linear_svm": HeadSpec(
            "linear SVM; the deployed model adds temperature-scaled probabilities",
            _linear_svm,
            _space_linear_svm,
            calibrate=_calibrate_temperature,
            warm_start=("coef_", "intercept_"),
            cv_factory=_newton_svm,
            cv_speedup=6.0,  # bench/search.py --solvers-only: liblinear 4.8-6.0x, cold
        ),
        "knn": HeadSpec("k nearest neighbours, cosine distance", _knn, _space_knn),
        "mlp": HeadSpec(
            "one-hidden-layer MLP, early stopping on the validation split",
            _mlp,
            _space_mlp,
            accepts_sparse=False,
            early_stopping=True,
        ),
        "lightgbm": HeadSpec(
            "LightGBM gradient-boosted trees",
            _lightgbm,
            _space_lightgbm,
            scale_invariant=True,
            round_callbacks=True,
        ),
        "ebm": HeadSpec(
            "Explainable Boosting Machine (interpret), on linguistic features",
            _ebm,
            _space_ebm,
            embedders=frozenset({"linguistic"}),
            accepts_sparse=False,
            scale_invariant=True,
        ),
    }
)


def standardizes(key: str, params: Params, scale: bool = False) -> bool:
    """Whether head ``key`` gets standardised inputs: ``params["normalize"]`` when the search
    chose it, else ``scale`` (an embedder whose features need it); never for trees."""
    normalize = params.get("normalize") or ("standard" if scale else "none")
    if normalize not in NORMALIZATIONS:
        raise UnknownPluginError(f"no normalisation {normalize!r}; choose {NORMALIZATIONS}")
    return normalize == "standard" and not HEADS[key].scale_invariant


def build_head(
    key: str,
    params: Params,
    *,
    scale: bool = False,
    seed: int = 0,
    probability: bool = True,
    dense: bool = False,
    prescaled: bool = False,
) -> Any:
    """The head ``key`` as an unfitted estimator, its inputs standardised when
    :func:`standardizes` says so, unless the caller does that itself (``prescaled``:
    cross-validation standardises each fold once for all trials).

    ``probability=False`` is for scoring labels only (cross-validation): a head whose
    probabilities need a calibration step is built without it, and a head with a
    ``cv_factory`` uses that faster solver of the same objective (on sparse inputs only when
    it takes them, ``cv_sparse``).
    """
    try:
        spec = HEADS[key]
    except KeyError:
        raise UnknownPluginError(f"no head {key!r}; choose one of {', '.join(HEADS)}") from None
    fast = spec.cv_factory is not None and not probability and (dense or spec.cv_sparse)
    factory = spec.cv_factory if fast and spec.cv_factory is not None else spec.factory
    est = factory(params, seed)
    if probability and spec.calibrate is not None:
        est = spec.calibrate(est)
    if standardizes(key, params, scale) and not prescaled:
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(StandardScaler(), est)
    return est
