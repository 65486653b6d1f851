"""The table of attribution methods, and ``auto``: the exact or gradient method when the
model has one, else occlusion. ``tests/explain/test_methods.py`` runs over every entry."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from textops.errors import ConfigError
from textops.explain._attribution import Attribution
from textops.explain._gradients import ig_supported, integrated_gradients
from textops.explain._linear import linear_attribution, linear_supported
from textops.explain._occlusion import occlusion
from textops.explain._shap import shap_attribution
from textops.model import TextClassifier

__all__ = ["METHODS", "MethodSpec", "explain_texts", "resolve_method"]


@dataclass(frozen=True)
class MethodSpec:
    description: str
    explain: Callable[[TextClassifier, str, str | None], Attribution]
    supports: Callable[[TextClassifier], bool] = lambda clf: True
    #: modules it needs beyond textops' own dependencies (the explain extra)
    needs: tuple[str, ...] = ()


METHODS: Mapping[str, MethodSpec] = MappingProxyType(
    {
        "occlusion": MethodSpec(
            "leave-one-word-out: the drop in the class's probability; any model, one "
            "batched model call per text",
            lambda clf, text, label: occlusion(clf.predict_proba, clf.labels, text, label),
        ),
        "linear": MethodSpec(
            "exact coefficient x feature value (linear head on word TF-IDF)",
            linear_attribution,
            supports=linear_supported,
        ),
        "ig": MethodSpec(
            "integrated gradients through the encoder (Captum; sentence-transformers encoder "
            "under a linear head, fine-tuned or frozen)",
            integrated_gradients,
            supports=ig_supported,
            needs=("captum",),
        ),
        "shap": MethodSpec(
            "SHAP partition explainer over words (word interactions; ~4 model calls per word)",
            lambda clf, text, label: shap_attribution(clf.predict_proba, clf.labels, text, label),
            needs=("shap",),
        ),
    }
)


def resolve_method(clf: TextClassifier, method: str) -> str:
    """``auto``: linear when exact, else occlusion (one batched call, faithful in
    ``bench/explain.py``); a named method must support the model."""
    if method == "auto":
        return "linear" if linear_supported(clf) else "occlusion"
    spec = METHODS.get(method)
    if spec is None:
        raise ConfigError(f"method: unknown {method!r}; choose one of auto, {', '.join(METHODS)}")
    from textops._packages import available

    if not available(*spec.needs):
        raise ConfigError(
            f"method: {method} needs {', '.join(spec.needs)}, which is not installed here: "
            "pip install 'textops[explain]' (or choose method \"occlusion\")"
        )
    if not spec.supports(clf):
        raise ConfigError(
            f"method: {method} does not apply to a {clf.embedder_key} + {clf.head_key} model "
            f'({spec.description}); choose method "occlusion", which works on every model'
        )
    return method


def explain_texts(
    clf: TextClassifier, texts: Sequence[str], method: str = "auto", label: str | None = None
) -> list[Attribution]:
    """Word attributions for each text toward ``label`` (default: the predicted class)."""
    if isinstance(texts, str):
        raise TypeError("explain_texts takes a list of texts, not one string")
    name = resolve_method(clf, method)
    spec = METHODS[name]
    return [spec.explain(clf, text, label) for text in texts]
