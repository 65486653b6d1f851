"""The deployable model: normalisation -> embedder -> head (:class:`TextClassifier`), the table
of heads it can hold (among them heads that train an encoder on texts), probability
calibration, saving and loading without pickle, and the training reference monitoring compares
served traffic with."""

from textops.model._batch import BatchPrediction, predict_file
from textops.model._classifier import Packaged, Scored, TextClassifier
from textops.model._ensemble import (
    ENSEMBLE_METHODS,
    EnsembleMethod,
    ensemble_head,
    train_ensemble,
)
from textops.model._evaluation import (
    ClassScores,
    Reliability,
    Scores,
    evaluate,
    expected_calibration_error,
    reliability,
)
from textops.model._heads import (
    HEADS,
    INPUT_PARAMS,
    NORMALIZATIONS,
    HeadSpec,
    build_head,
    head_kwargs,
    head_parameters,
    int_param,
    standardizes,
)
from textops.model._reference import (
    REFERENCE_VECTORS,
    TrainingReference,
    build_reference,
    oov_rate,
    reference_rows,
)
from textops.model._scores import macro_f1, macro_f1_labels
from textops.model._train import (
    ClassifierRecipe,
    Evaluation,
    LabelledRows,
    Trained,
    deploy_trained,
    train_classifier,
)
from textops.model._trained_head import Exported, TrainedHead
from textops.model._training import (
    EpochRecord,
    TrainingHooks,
    autocast,
    device_for,
    set_threads,
)

__all__ = [
    "ENSEMBLE_METHODS",
    "HEADS",
    "INPUT_PARAMS",
    "NORMALIZATIONS",
    "REFERENCE_VECTORS",
    "BatchPrediction",
    "ClassScores",
    "ClassifierRecipe",
    "EnsembleMethod",
    "EpochRecord",
    "Evaluation",
    "Exported",
    "HeadSpec",
    "LabelledRows",
    "Packaged",
    "Reliability",
    "Scored",
    "Scores",
    "TextClassifier",
    "Trained",
    "TrainedHead",
    "TrainingHooks",
    "TrainingReference",
    "autocast",
    "build_head",
    "build_reference",
    "deploy_trained",
    "device_for",
    "ensemble_head",
    "evaluate",
    "expected_calibration_error",
    "head_kwargs",
    "head_parameters",
    "int_param",
    "macro_f1",
    "macro_f1_labels",
    "oov_rate",
    "predict_file",
    "reference_rows",
    "reliability",
    "set_threads",
    "standardizes",
    "train_classifier",
    "train_ensemble",
]
