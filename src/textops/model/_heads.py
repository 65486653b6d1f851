"""The one table of classifier heads: one :class:`HeadSpec` per head says how the deployable
head is built (keyword arguments: a misspelt parameter is an error, not a default), what inputs
it takes, its search space, and how cross-validation fits it fast (a faster solver of the same
objective, warm starts, early stopping, a clock between rounds, few-labels defaults). Adding a
head is one entry here; ``tests/model/test_heads.py`` runs over every entry."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from textops._packages import available
from textops._types import Params, ParamValue
from textops.errors import ConfigError, UnknownPluginError
from textops.model import _head_factories as hf
from textops.model import _head_spaces as sp

if TYPE_CHECKING:
    from sklearn.base import BaseEstimator

__all__ = [
    "HEADS",
    "INPUT_PARAMS",
    "NORMALIZATIONS",
    "HeadSpec",
    "build_head",
    "head_kwargs",
    "head_parameters",
    "head_spec",
    "int_param",
    "standardizes",
]

#: how a head's inputs are normalised: as the embedder gives them, or standardised per feature
NORMALIZATIONS = ("none", "standard")


#: the encoders a trained head starts from: the table's sentence-transformers entries (or any
#: local folder given as the ``model`` parameter)
_BASE_ENCODERS = frozenset({"minilm", "mpnet"})


@dataclass(frozen=True)
class HeadSpec:
    """A table entry: how to build the deployable head, what inputs it takes, and how the
    search explores and cross-validates it."""

    description: str
    #: builds the head: ``factory(seed=..., **params)``, its parameters keyword arguments
    factory: Callable[..., Any]
    #: the search space: a trial in, the head's parameters out (``_head_spaces``)
    space: Callable[[Any], Params]
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
    # -- how cross-validation fits it --------------------------------------------------------
    #: the fitted attributes a fit can start from (``warm_start``): cross-validation starts a
    #: trial's fit on a fold from the solution of the nearest earlier trial on that fold
    warm_start: tuple[str, ...] = ()
    #: the same objective by a faster solver, for cross-validation (same keyword arguments;
    #: the deployed head always comes from ``factory``)
    cv_factory: Callable[..., Any] | None = None
    #: ``cv_factory`` is used on dense inputs (embeddings) and on sparse ones (TF-IDF)
    cv_dense: bool = True
    cv_sparse: bool = False
    #: how many times faster ``cv_factory`` fits than the deployed head: the budget's estimate
    #: of finalising scales the CV's fit times by it for the refit
    cv_speedup: float = 1.0
    #: trained epoch by epoch and stopped on the validation split in cross-validation; the
    #: deployed head trains for the epochs that won (``params["epochs"]``)
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

    @property
    def installed(self) -> bool:
        return available(*self.needs)

    def defaults(self) -> dict[str, ParamValue]:
        """The head's parameters and their defaults: its factory's keyword arguments (a
        trained head's: its class's)."""
        sig = inspect.signature(self.factory)
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values()):
            est = self.factory(seed=0)
            return {k: v for k, v in est.get_params().items() if k != "seed"}
        return {
            name: p.default
            for name, p in sig.parameters.items()
            if name != "seed" and p.kind is inspect.Parameter.KEYWORD_ONLY
        }


HEADS: Mapping[str, HeadSpec] = MappingProxyType(
    {
        "logreg": HeadSpec(
            "logistic regression (C, class weights)",
            hf.logreg,
            sp.space_logreg,
            # on unit-length sentence embeddings sklearn's C 1 underfits a few dozen rows;
            # bench/selection.py compares this one value with a CV-tuned choice
            few_labels={"C": 10.0},
            warm_start=("coef_", "intercept_"),
            # on TF-IDF only: on embeddings sklearn's lbfgs is as fast (bench/search.py
            # --solvers-only prints both gains)
            cv_factory=hf.lbfgs_logreg,
            cv_dense=False,
            cv_sparse=True,
            # no cv_speedup: alone (as the winner's refit runs) both solvers take the same
            # time; the L-BFGS gains 1.7x only when two trials fit at once, as in the search
        ),
        "ridge": HeadSpec(
            "ridge (least-squares) classifier; the deployed model adds temperature-scaled "
            "probabilities",
            hf.ridge,
            sp.space_ridge,
            calibrate=hf.calibrate_temperature,
        ),
        "linear_svm": HeadSpec(
            "linear SVM; the deployed model adds temperature-scaled probabilities",
            hf.linear_svm,
            sp.space_linear_svm,
            calibrate=hf.calibrate_temperature,
            few_labels={"C": 0.1},
            warm_start=("coef_", "intercept_"),
            cv_factory=hf.newton_svm,
            cv_speedup=6.0,
            fold_products=True,
        ),
        "knn": HeadSpec(
            "k nearest neighbours, cosine distance",
            hf.knn,
            sp.space_knn,
            at_most_rows=("n_neighbors",),
        ),
        "mlp": HeadSpec(
            "one-hidden-layer MLP, trained for the epochs the validation split chose",
            hf.mlp,
            sp.space_mlp,
            accepts_sparse=False,
            early_stopping=True,
        ),
        "lightgbm": HeadSpec(
            "LightGBM gradient-boosted trees (extra: trees)",
            hf.lightgbm,
            sp.space_lightgbm,
            scale_invariant=True,
            needs=("lightgbm",),
            round_callbacks=True,
        ),
        "ebm": HeadSpec(
            "Explainable Boosting Machine (interpret), on linguistic features (extra: trees)",
            hf.ebm,
            sp.space_ebm,
            embedders=frozenset({"linguistic"}),
            accepts_sparse=False,
            scale_invariant=True,
            needs=("interpret",),
        ),
        # trained on texts, scored on the validation split epoch by epoch (search's
        # _trained_trial)
        "finetune": HeadSpec(
            "the encoder fine-tuned end to end with a linear layer on its mean pool",
            hf.finetune,
            sp.space_finetune,
            embedders=_BASE_ENCODERS,
            accepts_sparse=False,
            text_input=True,
        ),
        "setfit": HeadSpec(
            "SetFit: the encoder tuned contrastively on text pairs, then logistic regression "
            "(the few-shot candidate)",
            hf.setfit,
            sp.space_setfit,
            embedders=_BASE_ENCODERS,
            accepts_sparse=False,
            text_input=True,
        ),
        "bilstm": HeadSpec(
            "a BiLSTM (max or attention pooling) over the frozen encoder's token vectors",
            hf.bilstm,
            sp.space_bilstm,
            embedders=_BASE_ENCODERS,
            accepts_sparse=False,
            text_input=True,
        ),
    }
)

#: parameters a head's inputs take, not the head itself (the search's choice of standardising)
INPUT_PARAMS = frozenset({"normalize"})


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


def int_param(params: Params, name: str, default: int) -> int:
    """``params[name]`` as a whole number (a count of epochs, rows, neighbours)."""
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"parameter {name}: {value!r} is not a number")
    return int(value)


@functools.cache
def head_parameters(key: str) -> frozenset[str]:
    """The names head ``key`` takes, read from its factory once (every fold of every trial
    builds a head, and a trained head's names come from constructing its class)."""
    return frozenset(head_spec(key).defaults())


def head_kwargs(key: str, params: Params) -> Params:
    """``params`` as head ``key``'s keyword arguments: what its inputs take left out, and an
    unknown name an error (a misspelt ``c`` would otherwise train with the default C)."""
    kwargs = {k: v for k, v in params.items() if k not in INPUT_PARAMS}
    known = head_parameters(key)
    unknown = sorted(set(kwargs) - set(known))
    if unknown:
        raise ConfigError(
            f"head {key}: unknown parameter(s) {', '.join(unknown)}; it takes "
            f"{', '.join(sorted(known)) or 'none'}"
        )
    return kwargs


def build_head(
    key: str,
    params: Params,
    *,
    scale: bool = False,
    seed: int = 0,
    probability: bool = True,
    prescaled: bool = False,
    cv_inputs: Literal["dense", "sparse"] | None = None,
) -> BaseEstimator:
    """The head ``key`` as an unfitted estimator, its inputs standardised when
    :func:`standardizes` says so, unless the caller does that itself (``prescaled``).

    ``probability=False`` leaves out the calibration step a margin classifier needs for
    probabilities (scoring labels only); ``cv_inputs`` (cross-validation on dense or sparse
    inputs) builds it with the spec's faster solver of the same objective where it has one.
    """
    spec = head_spec(key)
    kwargs = head_kwargs(key, params)
    fast = spec.cv_dense if cv_inputs == "dense" else spec.cv_sparse
    factory = spec.cv_factory if cv_inputs and fast and spec.cv_factory else spec.factory
    est = factory(seed=seed, **kwargs)
    if spec.text_input:
        return est  # its own encoder: no calibration or scaling of fixed inputs
    if probability and spec.calibrate is not None:
        est = spec.calibrate(est)
    if standardizes(key, params, scale) and not prescaled:
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(StandardScaler(), est)
    return est
