"""How each head of the HEADS table is built: one factory per head (and per faster CV solver),
its parameters keyword arguments with the head's defaults, so an unknown name is an error."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textops._packages import require
from textops._types import ParamValue

if TYPE_CHECKING:
    from sklearn.base import BaseEstimator

__all__: list[str] = []  # private: read through the HEADS table


def logreg(*, seed: int, C: float = 1.0, class_weight: str | None = None) -> BaseEstimator:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, class_weight=class_weight, max_iter=3000, random_state=seed)


def lbfgs_logreg(*, seed: int, C: float = 1.0, class_weight: str | None = None) -> BaseEstimator:
    from textops.model._lbfgs import LbfgsLogisticRegression

    return LbfgsLogisticRegression(C=C, class_weight=class_weight)


def ridge(*, seed: int, alpha: float = 1.0, class_weight: str | None = None) -> BaseEstimator:
    from sklearn.linear_model import RidgeClassifier

    return RidgeClassifier(alpha=alpha, class_weight=class_weight)


def linear_svm(*, seed: int, C: float = 1.0, class_weight: str | None = None) -> BaseEstimator:
    from sklearn.svm import LinearSVC

    return LinearSVC(C=C, class_weight=class_weight, random_state=seed)


def newton_svm(*, seed: int, C: float = 1.0, class_weight: str | None = None) -> BaseEstimator:
    from textops.model._l2svm import NewtonLinearSVC

    return NewtonLinearSVC(C=C, class_weight=class_weight)


def calibrate_temperature(est: BaseEstimator) -> BaseEstimator:
    """Probabilities for a margin classifier that keep its labels: one temperature fitted on
    3-fold out-of-fold decisions, applied to one model fitted on all the data (see
    ``_calibration``)."""
    from textops.model._calibration import TemperatureScaledClassifier

    return TemperatureScaledClassifier(est, cv=3)


def knn(*, seed: int, n_neighbors: int = 10, weights: str = "distance") -> BaseEstimator:
    from sklearn.neighbors import KNeighborsClassifier

    return KNeighborsClassifier(
        n_neighbors=n_neighbors, weights=weights, metric="cosine", algorithm="brute"
    )


def mlp(
    *,
    seed: int,
    hidden: int = 128,
    alpha: float = 1e-4,
    lr: float = 1e-3,
    epochs: int | None = None,
) -> BaseEstimator:
    from sklearn.neural_network import MLPClassifier

    # "epochs": how long training on the CV folds ran until the validation split stopped it
    # (see search's early stopping); without it, sklearn's own on 15% of the training data
    return MLPClassifier(
        hidden_layer_sizes=(hidden,),
        alpha=alpha,
        learning_rate_init=lr,
        early_stopping=epochs is None,
        validation_fraction=0.15,
        n_iter_no_change=8,
        max_iter=300 if epochs is None else int(epochs),
        random_state=seed,
    )


def lightgbm(
    *,
    seed: int,
    n_estimators: int = 200,
    learning_rate: float = 0.1,
    num_leaves: int = 31,
    min_child_samples: int = 20,
    class_weight: str | None = None,
) -> BaseEstimator:
    require("trees", "the lightgbm head", "lightgbm")
    from lightgbm import LGBMClassifier

    return LGBMClassifier(
        n_estimators=n_estimators,
        learning_rate=learning_rate,
        num_leaves=num_leaves,
        min_child_samples=min_child_samples,
        class_weight=class_weight,
        subsample_freq=0,
        random_state=seed,
        n_jobs=1,
        verbose=-1,
    )


def ebm(
    *, seed: int, interactions: int = 5, learning_rate: float = 0.02, max_bins: int = 256
) -> BaseEstimator:
    require("trees", "the ebm head", "interpret")
    from interpret.glassbox import ExplainableBoostingClassifier

    return ExplainableBoostingClassifier(
        interactions=interactions,
        learning_rate=learning_rate,
        max_bins=max_bins,
        outer_bags=2,
        random_state=seed,
        n_jobs=1,
    )


# trained heads take their class's own parameters: scikit-learn's set_params refuses a name
# the class does not have
def finetune(*, seed: int, **kw: ParamValue) -> BaseEstimator:
    from textops.model._finetune import FineTuneHead

    return FineTuneHead(seed=seed).set_params(**kw)


def setfit(*, seed: int, **kw: ParamValue) -> BaseEstimator:
    from textops.model._finetune import SetFitHead

    return SetFitHead(seed=seed).set_params(**kw)


def bilstm(*, seed: int, **kw: ParamValue) -> BaseEstimator:
    from textops.model._bilstm import BiLSTMHead

    return BiLSTMHead(seed=seed).set_params(**kw)
