"""Global term importances of an Explainable Boosting Machine (``interpret``): the mean
absolute contribution of each feature, and of each pair the EBM modelled, over its training
data; the EBM's own measure, named with the embedder's feature names."""

from __future__ import annotations

import io
import re

from textops.errors import ConfigError
from textops.model import TextClassifier

__all__ = ["ebm_importances", "importances_png"]

_DEFAULT_NAME = re.compile(r"feature_(\d{4})")


def ebm_importances(clf: TextClassifier) -> list[tuple[str, float]]:
    """``(term, importance)``, most important first."""
    head = clf.head
    if hasattr(head, "steps"):
        head = head.steps[-1][1]
    if not hasattr(head, "term_importances"):
        raise ConfigError(
            f"--global needs an EBM model (head ebm); this one's head is {clf.head_key}: "
            "explain single texts instead"
        )
    names = [str(n) for n in clf.embedder.get_feature_names_out()]

    def named(term: str) -> str:
        return _DEFAULT_NAME.sub(lambda m: names[int(m.group(1))], term)

    pairs = zip(head.term_names_, head.term_importances(), strict=True)
    return sorted(((named(t), float(v)) for t, v in pairs), key=lambda p: -p[1])


def importances_png(importances: list[tuple[str, float]], top: int = 20) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = importances[:top][::-1]
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(shown) + 1))
    ax.barh([t for t, _ in shown], [v for _, v in shown], color="#2563eb")
    ax.set_xlabel("mean |contribution| (log-odds)")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()
