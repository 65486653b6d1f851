"""Why a model said what it said, and how much to trust that answer: word attributions
(occlusion for any model, exact for linear heads on TF-IDF, integrated gradients through a
sentence-transformers encoder, SHAP), their faithfulness measured with ERASER's
comprehensiveness and sufficiency against a random ordering, and attributions as HTML."""

from textops.explain._attribution import Attribution
from textops.explain._faithfulness import (
    BINS,
    Faithfulness,
    erasure_scores,
    evaluate_faithfulness,
)
from textops.explain._html import render_html, word_style
from textops.explain._methods import METHODS, MethodSpec, explain_texts, resolve_method

__all__ = [
    "BINS",
    "METHODS",
    "Attribution",
    "Faithfulness",
    "MethodSpec",
    "erasure_scores",
    "evaluate_faithfulness",
    "explain_texts",
    "render_html",
    "resolve_method",
    "word_style",
]
