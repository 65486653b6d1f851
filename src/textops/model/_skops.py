"""Saving and loading fitted estimators with skops: never a pickle, and only the types textops
itself saves (an allowlist) are rebuilt on load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textops.embed import EMBEDDERS
from textops.errors import TextopsError

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
    }
    # every backend of the embedders table: fitted ones (TF-IDF, hybrids) are saved whole, a
    # hybrid's dense view as its parameters only (never its loaded model)
    | {f"{spec.cls.__module__}.{spec.cls.__qualname__}" for spec in EMBEDDERS.values()}
)


def skops_dump(obj: Any, path: Path) -> None:
    import skops.io as sio

    sio.dump(obj, path)


def skops_load(path: Path) -> Any:
    import skops.io as sio

    untrusted = sio.get_untrusted_types(file=path)
    unknown = sorted(set(untrusted) - TRUSTED_TYPES)
    if unknown:
        raise TextopsError(
            f"{path.name} contains types textops does not trust: {unknown}; refusing to load. "
            "Only load models that textops itself saved"
        )
    return sio.load(path, trusted=list(untrusted))
