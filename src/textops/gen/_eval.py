"""``textops gen eval``: per sampling setting, how varied the texts are (embedding diversity,
distinct-1/2, self-BLEU), how good (the share a textops classifier finds acceptable, the share
a sentiment classifier does not find negative), perplexity under the generator, length and
copies of training texts; logged to MLflow as one run per setting under a parent run."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from textops._types import JSON
from textops.gen._decoding import Decoding
from textops.gen._metrics import distinct_n, embedding_diversity, self_bleu
from textops.gen._sample import Generation

if TYPE_CHECKING:
    from textops.embed import EmbeddingCache
    from textops.gen._generator import Generator

__all__ = ["GenEvalReport", "LabelScorer", "SettingScores", "evaluate_generations"]

#: texts of each setting kept with its scores
EXAMPLES = 5


@dataclass(frozen=True)
class LabelScorer:
    """A textops classifier and the label whose share is reported (``share`` of predictions
    equal to ``label``, or not equal with ``negate``)."""

    uri: str
    label: str
    negate: bool = False


@dataclass(frozen=True)
class SettingScores:
    setting: str
    temperature: float
    top_p: float
    n: int
    diversity: float
    distinct_1: float
    distinct_2: float
    self_bleu: float
    mean_words: float
    acceptability: float | None = None
    non_negative: float | None = None
    perplexity: float | None = None
    copies: float | None = None
    #: a few of the setting's texts, to read beside its scores
    examples: tuple[str, ...] = ()

    @property
    def quality(self) -> float | None:
        parts = [v for v in (self.acceptability, self.non_negative) if v is not None]
        return float(np.mean(parts)) if parts else None


@dataclass
class GenEvalReport:
    embedder: str
    settings: list[SettingScores]
    best: str | None = None
    best_reason: str = ""
    run_id: str | None = None
    extra: JSON = field(default_factory=dict)
    #: the model the generations came from (``models:/NAME@champion``, an endpoint, ...)
    generator: str | None = None

    def as_json(self) -> JSON:
        return {
            "embedder": self.embedder,
            "settings": [asdict(s) | {"quality": s.quality} for s in self.settings],
            "best": self.best,
            "best_reason": self.best_reason,
            "run_id": self.run_id,
            "generator": self.generator,
        }

    @classmethod
    def from_json(cls, data: object) -> GenEvalReport:
        """A report as :meth:`as_json` wrote it (an MLflow artifact), checked field by field."""
        from pydantic import TypeAdapter

        return TypeAdapter(GenEvalReport).validate_python(data)


def _share(scorer: LabelScorer, texts: list[str], tracking_uri: str) -> dict[int, bool]:
    from textops.errors import ConfigError
    from textops.track import load_classifier

    clf, _ = load_classifier(scorer.uri, tracking_uri)
    if scorer.label not in clf.labels:
        raise ConfigError(
            f"{scorer.uri} has labels {clf.labels}; name the one to count with "
            f"--{'negative' if scorer.negate else 'acceptable'}-label"
        )
    hits = [p == scorer.label for p in clf.predict(texts)]
    return {i: (not h if scorer.negate else h) for i, h in enumerate(hits)}


def _pick_best(scores: list[SettingScores]) -> tuple[str | None, str]:
    rated = [s for s in scores if s.quality is not None and not math.isnan(s.diversity)]
    if not rated:
        return None, "no quality classifier given (--acceptability / --sentiment): no best"
    best = max(rated, key=lambda s: (s.quality or 0.0) + s.diversity)
    return best.setting, "highest quality + diversity (each 0-1)"


def evaluate_generations(
    gens: Sequence[Generation],
    *,
    tracking_uri: str,
    embedder_key: str = "e5",
    acceptability: LabelScorer | None = None,
    sentiment: LabelScorer | None = None,
    generator: Generator | None = None,
    training_texts: Sequence[str] | None = None,
    cache: EmbeddingCache | None = None,
) -> GenEvalReport:
    from textops.embed import encode_texts, make_embedder

    texts = [g.text for g in gens]
    embedder = make_embedder(embedder_key)
    vectors = np.asarray(encode_texts(embedder.fit([]), texts, cache, show_progress=False).vectors)
    ok = _share(acceptability, texts, tracking_uri) if acceptability else None
    positive = _share(sentiment, texts, tracking_uri) if sentiment else None
    seen = {" ".join(t.split()) for t in training_texts or ()}
    groups: dict[Decoding, list[int]] = defaultdict(list)
    for i, g in enumerate(gens):
        groups[g.decoding].append(i)
    scores = []
    for how, idx in sorted(groups.items(), key=lambda kv: (kv[0].temperature, kv[0].top_p,
                                                            kv[0].label)):  # fmt: skip
        sub = [texts[i] for i in idx]
        ppl = None
        if generator is not None:
            ppl = generator.perplexity(sub, [gens[i].prompt for i in idx])
        scores.append(SettingScores(
            setting=how.label, temperature=gens[idx[0]].temperature,
            top_p=gens[idx[0]].top_p, n=len(idx),
            diversity=embedding_diversity(vectors[idx]),
            distinct_1=distinct_n(sub, 1), distinct_2=distinct_n(sub, 2),
            self_bleu=self_bleu(sub), mean_words=float(np.mean([len(s.split()) for s in sub])),
            acceptability=float(np.mean([ok[i] for i in idx])) if ok else None,
            non_negative=float(np.mean([positive[i] for i in idx])) if positive else None,
            perplexity=ppl,
            copies=float(np.mean([" ".join(s.split()) in seen for s in sub])) if seen else None,
            examples=tuple(sub[:EXAMPLES]),
        ))  # fmt: skip
    best, why = _pick_best(scores)
    return GenEvalReport(embedder_key, scores, best, why, generator=gens[0].model if gens else None)
