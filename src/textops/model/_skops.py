"""Saving and loading fitted estimators with skops: never a pickle, and only the types textops
itself saves (an allowlist) are rebuilt on load."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textops.embed import EMBEDDERS
from textops.errors import TextopsError

if TYPE_CHECKING:
    from sklearn.base import BaseEstimator

__all__ = ["TRUSTED_TYPES", "skops_dump", "skops_load"]

#: Types skops may rebuild beyond its defaults: exactly those our heads and TF-IDF are made of.
TRUSTED_TYPES = frozenset(
    {
        "textops.model._calibration.TemperatureScaledClassifier",
        # models saved when the deployable classifier lived in the search package
        "textops.search._calibration.TemperatureScaledClassifier",
        # models saved before temperature scaling (Platt-calibrated SVM and ridge heads)
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
        "collections.OrderedDict",
        "lightgbm.basic.Booster",
        "lightgbm.sklearn.LGBMClassifier",
        "interpret.glassbox._ebm._ebm.ExplainableBoostingClassifier",
        "builtins.dict_items",
        "numpy.float32",
        "numpy.float64",
        "numpy.int64",
        "scipy.sparse._csr.csr_matrix",
        "sklearn.feature_extraction.text.TfidfVectorizer",
        "sklearn.feature_extraction.text.TfidfTransformer",
        # an ensemble head (a voting or stacking classifier) names its members in a Bunch
        "sklearn.utils._bunch.Bunch",
        "textops.embed._stacked.StackedEmbedder",
        "textops.model._ensemble.ColumnSlice",
    }
    # every backend of the embedders table: fitted ones (TF-IDF, hybrids) are saved whole, a
    # hybrid's dense view as its parameters only (never its loaded model)
    | {f"{spec.cls.__module__}.{spec.cls.__qualname__}" for spec in EMBEDDERS.values()}
)


_IMPORT_LOCK = threading.Lock()
#: module parts scikit-learn's ``all_estimators`` leaves out; so do we
_NOT_ESTIMATOR_MODULES = {"tests", "externals", "setup", "conftest", "experimental"}


def _skops_io() -> Any:
    """``skops.io``, imported without its import-time call to scikit-learn's
    ``all_estimators()``, which imports every scikit-learn module (torch among them, through
    the array-API shims) to list the estimators skops trusts by default: seconds on every
    ``textops predict`` (``bench/predict_cli.py``). With that list empty, a saved scikit-learn
    estimator comes back from ``get_untrusted_types`` and :func:`_sklearn_estimator` checks it
    the way ``all_estimators`` would, importing only the modules the file names."""
    import sys

    with _IMPORT_LOCK:  # two threads loading models must not swap the function twice
        if "skops.io" in sys.modules:
            return sys.modules["skops.io"]
        import sklearn.utils

        real = sklearn.utils.all_estimators
        sklearn.utils.all_estimators = lambda *args, **kwargs: []
        try:
            import skops.io
        finally:
            sklearn.utils.all_estimators = real
        return skops.io


def _sklearn_estimator(name: str) -> bool:
    """Whether ``name`` is a public scikit-learn estimator class, as ``all_estimators`` has it
    (a name from a file we have not trusted yet: only ``sklearn.`` modules are imported)."""
    import importlib
    import inspect

    from sklearn.base import BaseEstimator

    module, _, cls = name.rpartition(".")
    parts = module.split(".")
    if parts[0] != "sklearn" or cls.startswith("_") or _NOT_ESTIMATOR_MODULES & set(parts):
        return False
    try:
        obj = getattr(importlib.import_module(module), cls, None)
    except ImportError:
        return False
    return (
        isinstance(obj, type)
        and issubclass(obj, BaseEstimator)
        and obj is not BaseEstimator
        and not inspect.isabstract(obj)
        and f"{obj.__module__}.{obj.__name__}" == name
    )


def skops_dump(obj: object, path: Path) -> None:
    _skops_io().dump(obj, path)


def skops_load(path: Path) -> BaseEstimator:
    sio = _skops_io()
    untrusted = sio.get_untrusted_types(file=path)
    unknown = sorted(t for t in set(untrusted) - TRUSTED_TYPES if not _sklearn_estimator(t))
    if unknown:
        raise TextopsError(
            f"{path.name} contains types textops does not trust: {unknown}; refusing to load. "
            "Only load models that textops itself saved"
        )
    return sio.load(path, trusted=list(untrusted))
