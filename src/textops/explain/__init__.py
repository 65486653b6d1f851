"""Why a model said what it said, how much to trust that answer, and what sets the classes
apart: word attributions (occlusion for any model, exact for linear heads on TF-IDF,
integrated gradients through a sentence-transformers encoder, SHAP), their faithfulness
measured with ERASER's comprehensiveness and sufficiency against a random ordering,
attributions as HTML, an EBM's global term importances, and feature statistics between
classes (scipy tests, Holm-corrected, effect sizes, box plots)."""

from textops.explain._attribution import Attribution
from textops.explain._faithfulness import (
    BINS,
    Faithfulness,
    erasure_scores,
    evaluate_faithfulness,
)
from textops.explain._feature_report import (
    FEATURE_GROUPS,
    StatsReport,
    compute_features,
    dataset_statistics,
)
from textops.explain._global import ebm_importances, importances_png
from textops.explain._html import render_html, word_style
from textops.explain._methods import METHODS, MethodSpec, explain_texts, resolve_method
from textops.explain._stats import ClassSummary, FeatureStats, PairTest, feature_statistics

__all__ = [
    "BINS",
    "FEATURE_GROUPS",
    "METHODS",
    "Attribution",
    "ClassSummary",
    "Faithfulness",
    "FeatureStats",
    "MethodSpec",
    "PairTest",
    "StatsReport",
    "compute_features",
    "dataset_statistics",
    "ebm_importances",
    "erasure_scores",
    "evaluate_faithfulness",
    "explain_texts",
    "feature_statistics",
    "importances_png",
    "render_html",
    "resolve_method",
    "word_style",
]
