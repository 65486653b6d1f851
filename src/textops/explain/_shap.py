"""SHAP's partition explainer over words: Shapley values that account for words acting
together (a negation and what it negates), where occlusion sees each word alone. It costs
``max_evals`` texts per explanation instead of occlusion's n + 1 (``bench/explain.py``).

Words are masked by leaving them out, as occlusion and the faithfulness measures do."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from textops._packages import require
from textops.explain._attribution import Attribution
from textops.explain._occlusion import ProbaFn, target_index
from textops.explain._words import split_words

__all__ = ["shap_attribution"]


def shap_attribution(
    proba_fn: ProbaFn,
    labels: Sequence[str],
    text: str,
    label: str | None = None,
    *,
    max_evals: int | None = None,
) -> Attribution:
    require("explain", "SHAP explanations", "shap")
    import shap

    spans = split_words(text)
    words = [text[s:e] for s, e in spans]
    proba = np.asarray(proba_fn([text]), dtype=np.float64)[0]
    c = target_index(labels, proba, label)

    def f(batch: np.ndarray) -> np.ndarray:
        return np.asarray(proba_fn([str(t) for t in batch]), dtype=np.float64)[:, c]

    scores = np.zeros(len(words))
    if len(words) == 1:  # one player: its Shapley value is the whole change (SHAP's
        # partition tree needs two tokens to cluster)
        scores[0] = float(proba[c] - f(np.array([""]))[0])
    elif words:
        masker = shap.maskers.Text(r"\s+", mask_token=" ", collapse_mask_token=True)
        explainer = shap.Explainer(f, masker, silent=True)
        evals = max_evals or min(500, max(64, 4 * len(words)))
        values = explainer([text], max_evals=evals, batch_size=64)
        offsets = masker.tokenizer(text)["offset_mapping"]
        starts = {s: i for i, (s, _) in enumerate(spans)}
        for (start, end), value in zip(offsets, values.values[0], strict=True):
            if end > start and start in starts:
                scores[starts[start]] = float(value)
    return Attribution.of(text, labels, proba, c, "shap", spans, scores)
