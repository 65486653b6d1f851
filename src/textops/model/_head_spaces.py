"""Each head's search space: an Optuna trial in, the head's keyword arguments out. Parameter names
are prefixed with the head's key in the study, so two heads' ``C`` are separate axes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textops._types import Params

if TYPE_CHECKING:
    from optuna.trial import Trial

__all__ = [
    "space_bilstm", "space_ebm", "space_finetune", "space_knn", "space_lightgbm",
    "space_linear_svm", "space_logreg", "space_mlp", "space_ridge", "space_setfit",
]  # fmt: skip


def space_logreg(t: Trial) -> Params:
    return {
        "C": t.suggest_float("logreg.C", 1e-3, 1e2, log=True),
        "class_weight": t.suggest_categorical("logreg.class_weight", [None, "balanced"]),
    }


def space_ridge(t: Trial) -> Params:
    return {
        "alpha": t.suggest_float("ridge.alpha", 1e-3, 1e3, log=True),
        "class_weight": t.suggest_categorical("ridge.class_weight", [None, "balanced"]),
    }


def space_linear_svm(t: Trial) -> Params:
    return {
        "C": t.suggest_float("linear_svm.C", 1e-3, 1e1, log=True),
        "class_weight": t.suggest_categorical("linear_svm.class_weight", [None, "balanced"]),
    }


def space_knn(t: Trial) -> Params:
    return {
        "n_neighbors": t.suggest_int("knn.n_neighbors", 1, 50, log=True),
        "weights": t.suggest_categorical("knn.weights", ["uniform", "distance"]),
    }


def space_mlp(t: Trial) -> Params:
    return {
        "hidden": t.suggest_categorical("mlp.hidden", [64, 128, 256]),
        "alpha": t.suggest_float("mlp.alpha", 1e-6, 1e-1, log=True),
        "lr": t.suggest_float("mlp.lr", 1e-4, 1e-2, log=True),
    }


def space_lightgbm(t: Trial) -> Params:
    return {
        "n_estimators": t.suggest_int("lightgbm.n_estimators", 50, 400, log=True),
        "learning_rate": t.suggest_float("lightgbm.learning_rate", 0.02, 0.3, log=True),
        "num_leaves": t.suggest_int("lightgbm.num_leaves", 8, 64, log=True),
        "min_child_samples": t.suggest_int("lightgbm.min_child_samples", 5, 50, log=True),
        "class_weight": t.suggest_categorical("lightgbm.class_weight", [None, "balanced"]),
    }


def space_ebm(t: Trial) -> Params:
    return {
        "interactions": t.suggest_int("ebm.interactions", 0, 10),
        "learning_rate": t.suggest_float("ebm.learning_rate", 0.005, 0.1, log=True),
        "max_bins": t.suggest_categorical("ebm.max_bins", [64, 256]),
    }


def space_finetune(t: Trial) -> Params:
    return {
        "lr": t.suggest_float("finetune.lr", 1e-5, 2e-4, log=True),
        "epochs": t.suggest_int("finetune.epochs", 1, 4),
        "batch_size": t.suggest_categorical("finetune.batch_size", [8, 16, 32]),
        "max_length": t.suggest_categorical("finetune.max_length", [64, 128, 256]),
        "warmup": t.suggest_float("finetune.warmup", 0.0, 0.2),
        "weight_decay": t.suggest_categorical("finetune.weight_decay", [0.0, 0.01, 0.1]),
        "class_weight": t.suggest_categorical("finetune.class_weight", [None, "balanced"]),
    }


def space_setfit(t: Trial) -> Params:
    return {
        "lr": t.suggest_float("setfit.lr", 2e-5, 3e-4, log=True),
        "iterations": t.suggest_int("setfit.iterations", 2, 10),
        "epochs": t.suggest_int("setfit.epochs", 1, 8),
        "max_length": t.suggest_categorical("setfit.max_length", [64, 128]),
        "C": t.suggest_float("setfit.C", 1e-2, 1e2, log=True),
        "class_weight": t.suggest_categorical("setfit.class_weight", [None, "balanced"]),
    }


def space_bilstm(t: Trial) -> Params:
    return {
        "hidden": t.suggest_categorical("bilstm.hidden", [64, 128, 256]),
        "pooling": t.suggest_categorical("bilstm.pooling", ["max", "attention"]),
        "lr": t.suggest_float("bilstm.lr", 5e-4, 5e-3, log=True),
        "epochs": t.suggest_int("bilstm.epochs", 3, 15),
        "batch_size": t.suggest_categorical("bilstm.batch_size", [16, 32, 64]),
        "max_length": t.suggest_categorical("bilstm.max_length", [64, 128]),
        "class_weight": t.suggest_categorical("bilstm.class_weight", [None, "balanced"]),
    }
