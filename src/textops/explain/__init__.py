"""Why a model said what it said, how much to trust that answer, and what sets the classes
apart: word attributions (occlusion for any model, exact for linear heads on TF-IDF,
integrated gradients through a sentence-transformers encoder, SHAP), their faithfulness
measured with ERASER's comprehensiveness and sufficiency against a random ordering,
attributions as HTML, an EBM's global term importances, feature statistics between classes
(scipy tests, Holm-corrected, effect sizes, box plots), and the assessment plane: models and
outside predictions on one split with intervals, calibration and McNemar's tests."""

from textops.explain._assess import (
    Assessment,
    Candidate,
    ModelScores,
    PairComparison,
    assess,
    llm_candidate,
    score_model,
)
from textops.explain._assess_report import assessment_figure, assessment_html
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
from textops.explain._predictions import read_predictions
from textops.explain._stats import ClassSummary, FeatureStats, PairTest, feature_statistics

__all__ = [
    "BINS",
    "FEATURE_GROUPS",
    "METHODS",
    "Assessment",
    "Attribution",
    "Candidate",
    "ClassSummary",
    "Faithfulness",
    "FeatureStats",
    "MethodSpec",
    "ModelScores",
    "PairComparison",
    "PairTest",
    "StatsReport",
    "assess",
    "assessment_figure",
    "assessment_html",
    "compute_features",
    "dataset_statistics",
    "ebm_importances",
    "erasure_scores",
    "evaluate_faithfulness",
    "explain_texts",
    "feature_statistics",
    "importances_png",
    "llm_candidate",
    "read_predictions",
    "render_html",
    "resolve_method",
    "score_model",
    "word_style",
]
