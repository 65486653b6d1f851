"""The deployable model: normalisation -> embedder -> head (:class:`TextClassifier`), the table
of heads it can hold, probability calibration, saving and loading without pickle, and the
training reference monitoring compares served traffic with."""

from textops.model._classifier import TextClassifier
from textops.model._heads import (
    HEADS,
    NORMALIZATIONS,
    HeadSpec,
    build_head,
    head_spec,
    standardizes,
)
from textops.model._reference import TrainingReference, build_reference, oov_rate
from textops.model._skops import TRUSTED_TYPES

__all__ = [
    "HEADS",
    "NORMALIZATIONS",
    "TRUSTED_TYPES",
    "HeadSpec",
    "TextClassifier",
    "TrainingReference",
    "build_head",
    "build_reference",
    "head_spec",
    "oov_rate",
    "standardizes",
]
