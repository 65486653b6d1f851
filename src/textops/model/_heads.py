"""The one table of classifier heads: how each deployable head is built from a parameter dict,
and what inputs it takes. ``tests/model/test_heads.py`` runs over every entry; how the search
explores and cross-validates each head is the search's own table (``search._head_search``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from textops._packages import available, require
from textops._types import Params
from textops.errors import UnknownPluginError

__all__ = ["HEADS", "NORMALIZATIONS", "HeadSpec", "build_head", "head_spec", "standardizes"]

#: how a head's inputs are normalised: as the embedder gives them, or standardised per feature
NORMALIZATIONS = ("none", "standard")


def _logreg(p: Params, seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(
        C=p.get("C", 1.0), class_weight=p.get("class_weight"), max_iter=3000, random_state=seed
    )


def _ridge(p: Params, seed: int) -> Any:
    from sklearn.linear_model import RidgeClassifier

    return RidgeClassifier(alpha=p.get("alpha", 1.0), class_weight=p.get("class_weight"))


def _linear_svm(p: Params, seed: int) -> Any:
    from sklearn.svm import LinearSVC

    return LinearSVC(C=p.get("C", 1.0), class_weight=p.get("class_weight"), random_state=seed)


def _calibrate_temperature(est: Any) -> Any:
    """Probabilities for a margin classifier that keep its labels: one temperature fitted on
    3-fold out-of-fold decisions, applied to one model fitted on all the data (see
    ``_calibration``)."""
    from textops.model._calibration import TemperatureScaledClassifier

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
    require("trees", "the lightgbm head", "lightgbm")
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
    require("trees", "the ebm head", "interpret")
    from interpret.glassbox import ExplainableBoostingClassifier

    return ExplainableBoostingClassifier(
        interactions=p.get("interactions", 5),
        learning_rate=p.get("learning_rate", 0.02),
        max_bins=p.get("max_bins", 256),
        outer_bags=2,
        random_state=seed,
        n_jobs=1,
    )


def _finetune(p: Params, seed: int) -> Any:
    from textops.model._finetune import FineTuneHead

    return FineTuneHead(**_trained(p, FineTuneHead), seed=seed)


def _setfit(p: Params, seed: int) -> Any:
    from textops.model._finetune import SetFitHead

    return SetFitHead(**_trained(p, SetFitHead), seed=seed)


def _bilstm(p: Params, seed: int) -> Any:
    from textops.model._bilstm import BiLSTMHead

    return BiLSTMHead(**_trained(p, BiLSTMHead), seed=seed)


def _trained(p: Params, cls: Any) -> Params:
    """The sampled parameters a trained head takes (``normalize`` and the like are not its)."""
    names = set(cls._get_param_names()) - {"seed"}
    return {k: v for k, v in p.items() if k in names}


#: the encoders a trained head starts from: the table's sentence-transformers entries (or any
#: local folder given as the ``model`` parameter)
_BASE_ENCODERS = frozenset({"minilm", "mpnet"})


@dataclass(frozen=True)
class HeadSpec:
    """A table entry: how to build the deployable head, and what inputs it takes."""

    description: str
    factory: Callable[[Params, int], Any]
    #: embedder keys this head is offered with (None: any embedder)
    embedders: frozenset[str] | None = None
    accepts_sparse: bool = True
    #: wraps the fitted-for-deployment head so it gives probabilities (margin classifiers)
    calibrate: Callable[[Any], Any] | None = None
    #: trees: input scaling changes nothing, so inputs are never standardised for them
    scale_invariant: bool = False
    #: modules it needs beyond textops' own dependencies (installed by an extra)
    needs: tuple[str, ...] = ()
    #: trains on texts and its encoder with them (a fine-tune): fitted on texts, not on cached
    #: embeddings, and deployed with the encoder it trained (``TrainedHead.export``)
    text_input: bool = False

    @property
    def installed(self) -> bool:
        return available(*self.needs)


HEADS: Mapping[str, HeadSpec] = MappingProxyType(
    {
        "logreg": HeadSpec("logistic regression (C, class weights)", _logreg),
        "ridge": HeadSpec(
            "ridge (least-squares) classifier; the deployed model adds temperature-scaled "
            "probabilities",
            _ridge,
            calibrate=_calibrate_temperature,
        ),
        "linear_svm": HeadSpec(
            "linear SVM; the deployed model adds temperature-scaled probabilities",
            _linear_svm,
            calibrate=_calibrate_temperature,
        ),
        "knn": HeadSpec("k nearest neighbours, cosine distance", _knn),
        "mlp": HeadSpec(
            "one-hidden-layer MLP, trained for the epochs the validation split chose",
            _mlp,
            accepts_sparse=False,
        ),
        "lightgbm": HeadSpec(
            "LightGBM gradient-boosted trees (extra: trees)",
            _lightgbm,
            scale_invariant=True,
            needs=("lightgbm",),
        ),
        "ebm": HeadSpec(
            "Explainable Boosting Machine (interpret), on linguistic features (extra: trees)",
            _ebm,
            embedders=frozenset({"linguistic"}),
            accepts_sparse=False,
            scale_invariant=True,
            needs=("interpret",),
        ),
        "finetune": HeadSpec(
            "the encoder fine-tuned end to end with a linear layer on its mean pool",
            _finetune,
            embedders=_BASE_ENCODERS,
            accepts_sparse=False,
            text_input=True,
        ),
        "setfit": HeadSpec(
            "SetFit: the encoder tuned contrastively on text pairs, then logistic regression "
            "(the few-shot candidate)",
            _setfit,
            embedders=_BASE_ENCODERS,
            accepts_sparse=False,
            text_input=True,
        ),
        "bilstm": HeadSpec(
            "a BiLSTM (max or attention pooling) over the frozen encoder's token vectors",
            _bilstm,
            embedders=_BASE_ENCODERS,
            accepts_sparse=False,
            text_input=True,
        ),
    }
)


def head_spec(key: str) -> HeadSpec:
    try:
        return HEADS[key]
    except KeyError:
        raise UnknownPluginError(f"no head {key!r}; choose one of {', '.join(HEADS)}") from None


def standardizes(key: str, params: Params, scale: bool = False) -> bool:
    """Whether head ``key`` gets standardised inputs: ``params["normalize"]`` when the search
    chose it, else ``scale`` (an embedder whose features need it); never for trees."""
    normalize = params.get("normalize") or ("standard" if scale else "none")
    if normalize not in NORMALIZATIONS:
        raise UnknownPluginError(f"no normalisation {normalize!r}; choose {NORMALIZATIONS}")
    return normalize == "standard" and not head_spec(key).scale_invariant


def build_head(
    key: str,
    params: Params,
    *,
    scale: bool = False,
    seed: int = 0,
    probability: bool = True,
    prescaled: bool = False,
    factory: Callable[[Params, int], Any] | None = None,
) -> Any:
    """The head ``key`` as an unfitted estimator, its inputs standardised when
    :func:`standardizes` says so, unless the caller does that itself (``prescaled``).

    ``probability=False`` leaves out the calibration step a margin classifier needs for
    probabilities (scoring labels only); ``factory`` builds the estimator instead of the
    table's (the search's faster solver of the same objective).
    """
    spec = head_spec(key)
    est = (factory or spec.factory)(params, seed)
    if spec.text_input:
        return est  # its own encoder: no calibration or scaling of fixed inputs
    if probability and spec.calibrate is not None:
        est = spec.calibrate(est)
    if standardizes(key, params, scale) and not prescaled:
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(StandardScaler(), est)
    return est
