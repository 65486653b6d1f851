"""The typed result of explaining one text: a score per word toward one class."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from textops._types import JSON

__all__ = ["Attribution"]


@dataclass(frozen=True)
class Attribution:
    """Word attributions for ``text`` toward ``label``.

    ``scores[i]`` is what ``words[i]`` (at ``spans[i]`` in ``text``) adds to the class: for
    occlusion the drop in the class's log-odds when the word is left out, for linear heads its
    exact share of the class's decision value, for integrated gradients its share of that
    value's change from a blank text, for SHAP its Shapley value on the class's probability.
    Positive supports the label."""

    text: str
    label: str
    #: the model's probability of ``label`` on the whole text
    probability: float
    #: the label the model predicts (``label`` unless another was asked for)
    predicted: str
    method: str
    words: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    scores: tuple[float, ...]

    @classmethod
    def of(
        cls,
        text: str,
        labels: Sequence[str],
        proba: np.ndarray,
        c: int,
        method: str,
        spans: Sequence[tuple[int, int]],
        scores: Sequence[float] | np.ndarray,
    ) -> Attribution:
        """The attribution toward ``labels[c]`` of a text whose class probabilities are
        ``proba``, its words at ``spans``."""
        return cls(
            text=text,
            label=labels[c],
            probability=float(proba[c]),
            predicted=labels[int(np.argmax(proba))],
            method=method,
            words=tuple(text[s:e] for s, e in spans),
            spans=tuple((int(s), int(e)) for s, e in spans),
            scores=tuple(float(v) for v in scores),
        )

    def ranking(self) -> list[int]:
        """Word indices, most supporting first (ties keep text order)."""
        return [int(i) for i in np.argsort(-np.asarray(self.scores, dtype=float), kind="stable")]

    def top(self, k: int) -> list[tuple[str, float]]:
        """The ``k`` words that support the label most: positive scores only (a word scoring
        0 or less does not support it, and would pad the list with noise)."""
        return [(self.words[i], self.scores[i]) for i in self.ranking()[:k] if self.scores[i] > 0]

    def as_json(self) -> JSON:
        return {
            "text": self.text,
            "label": self.label,
            "probability": self.probability,
            "predicted": self.predicted,
            "method": self.method,
            "words": [
                {"word": w, "start": s, "end": e, "score": sc}
                for w, (s, e), sc in zip(self.words, self.spans, self.scores, strict=True)
            ],
        }
