"""The review queue: a model's unlabelled served predictions ranked by what a label would
teach (``_strategies``), then spread so fifty places in the queue are not fifty copies of one
complaint: near-copies of a better candidate are dropped (``copies``, the default) and, with
``clusters``, the top remaining candidates (four per place) are clustered into as many groups
as places and each group gives its best. In bench/review.py clustering cost labels on every
built-in stream (it trades a more uncertain text for a different one), so it is an option.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textops.errors import ConfigError
from textops.monitor import PredictionRecord
from textops.review import _strategies as strat
from textops.review._config import ReviewConfig

if TYPE_CHECKING:
    import numpy as np

    from textops.model import TextClassifier, TrainingReference

__all__ = ["ReviewItem", "ReviewQueue", "build_queue"]

#: candidates clustered per place in the queue
_POOL_PER_PLACE = 4
#: texts this close (cosine of their features) count as copies of one another
_COPY_COSINE = 0.95


@dataclass(frozen=True)
class ReviewItem:
    """A served prediction worth a person's label, and why: ranked on the probabilities of
    the model as it is now (``predicted``, ``probabilities``), which may differ from what it
    answered when it served the text."""

    prediction_id: str
    text: str
    predicted: str
    probabilities: dict[str, float]
    #: the strategy's score (mixed: the average percentile rank), higher first
    score: float
    reasons: tuple[str, ...]
    ts: float


@dataclass(frozen=True)
class ReviewQueue:
    model: str
    version: str | None
    strategy: str
    labels: list[str]
    items: list[ReviewItem]
    #: unlabelled predictions with text that were ranked
    ranked: int
    #: strategies left out and why (no challenger, no training reference)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Signals:
    """Each wanted strategy's scores, notes on those left out, what novelty measured, and
    the challenger's label for each text (when it was asked)."""

    scores: dict[str, np.ndarray] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    novelty_unit: str = ""
    challenger_top: list[str] | None = None


def _challenger(P: np.ndarray, texts: list[str], labels: list[str],
                challenger: TextClassifier, sig: _Signals) -> None:  # fmt: skip
    import numpy as np

    Q = challenger.predict_proba(texts)
    cols = [challenger.labels.index(lab) if lab in challenger.labels else -1 for lab in labels]
    aligned = np.where(np.asarray(cols) >= 0, Q[:, cols], 0.0)  # the champion's columns
    sig.scores["disagreement"] = strat.disagreement(P, aligned)
    sig.challenger_top = [challenger.labels[int(j)] for j in Q.argmax(axis=1)]


def _signals(
    P: np.ndarray, texts: list[str], model: TextClassifier, config: ReviewConfig,
    challenger: TextClassifier | None, reference: TrainingReference | None, features: Any,
) -> _Signals:  # fmt: skip
    # novelty is not in mixed: in bench/review.py it drew the outliers of a stream and needed
    # more labels than random ones, alone or averaged in
    wanted = ("uncertainty", "disagreement") if config.strategy == "mixed" else (
        config.strategy,)  # fmt: skip
    sig = _Signals()
    if "uncertainty" in wanted:
        sig.scores["uncertainty"] = strat.uncertainty(P)
    if "disagreement" in wanted:
        if challenger is None:
            sig.notes.append("disagreement: no challenger version to compare with")
        else:
            _challenger(P, texts, model.labels, challenger, sig)
    if "novelty" in wanted:
        found = strat.novelty(texts, features, reference)
        if found is None:
            sig.notes.append("novelty: the model keeps no training reference")
        else:
            sig.scores["novelty"], sig.novelty_unit = found
    if config.strategy != "mixed" and config.strategy not in sig.scores:
        raise ConfigError(f"--strategy {config.strategy}: {'; '.join(sig.notes)}")
    return sig


def _reasons(i: int, sig: _Signals, predicted: str) -> tuple[str, ...]:
    out = []
    if "uncertainty" in sig.scores:
        out.append(f"margin {1 - sig.scores['uncertainty'][i]:.2f}")
    if sig.challenger_top is not None:
        other = sig.challenger_top[i]
        out.append(f"challenger says {other}" if other != predicted
                   else f"challenger differs by {sig.scores['disagreement'][i]:.2f}")  # fmt: skip
    if "novelty" in sig.scores:
        out.append(f"{sig.novelty_unit} {sig.scores['novelty'][i]:.2f}")
    return tuple(out)


def _distinct(order: np.ndarray, X: Any, want: int, cosine: float) -> list[int]:
    """The first ``want`` of ``order`` (best first) that are not near-copies (cosine >=
    ``cosine``) of one taken before."""
    import numpy as np

    taken: list[int] = []
    for i in order:
        if taken:
            sims = X[taken] @ X[int(i)].T
            sims = np.asarray(sims.todense() if hasattr(sims, "todense") else sims).ravel()
            if sims.max() >= cosine:
                continue
        taken.append(int(i))
        if len(taken) == want:
            break
    return taken


def _spread(order: np.ndarray, features: Any, n: int, how: str, seed: int = 0) -> list[int]:
    """``copies``: the best ``n`` once near-copies of a better one are dropped.
    ``clusters``: four candidates per place kept so, clustered into ``n`` groups, the best of
    each group, best first."""
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import normalize

    X = normalize(features)
    if how == "copies":
        return _distinct(order, X, n, _COPY_COSINE)
    top = _distinct(order, X, _POOL_PER_PLACE * n, _COPY_COSINE)
    if len(top) <= n:
        return top
    groups = KMeans(n_clusters=n, n_init=3, random_state=seed).fit_predict(X[top])
    first: dict[int, int] = {}
    for pos, g in enumerate(groups):  # ``top`` is best first: the first seen is the best
        first.setdefault(int(g), top[pos])
    rank = {int(i): r for r, i in enumerate(order)}
    return sorted(first.values(), key=lambda i: rank[i])


def build_queue(
    records: Sequence[PredictionRecord],
    model: TextClassifier,
    config: ReviewConfig,
    *,
    name: str,
    version: str | None = None,
    challenger: TextClassifier | None = None,
    reference: TrainingReference | None = None,
) -> ReviewQueue:
    """The queue of ``config.n`` of ``records`` (a model's unlabelled predictions with text)."""
    import numpy as np

    labels = model.labels
    records = [r for r in records if r.get("text")]
    if not records:
        return ReviewQueue(name, version, config.strategy, labels, [], 0,
                           ["no unlabelled predictions with text: serve with --log-text"])  # fmt: skip
    texts = [str(r["text"]) for r in records]
    # the model as it is now (a swap since may have changed its mind), from one encode
    scored = model.predict_with_embeddings(texts)
    P = np.asarray(scored.proba, dtype=np.float64)
    needs_features = config.spread != "none" or config.strategy == "novelty"
    features = scored.embeddings
    if features is None and needs_features:  # sparse features (TF-IDF) are not kept there
        features = model.embed(texts)
    sig = _signals(P, texts, model, config, challenger, reference, features)
    used = list(sig.scores.values())
    score = used[0] if len(used) == 1 else strat.rank_average(used)
    order = np.argsort(-score, kind="stable")
    picked = (_spread(order, features, config.n, config.spread) if config.spread != "none"
              else [int(i) for i in order[: config.n]])  # fmt: skip
    items = [
        ReviewItem(
            prediction_id=str(records[i]["prediction_id"]),
            text=texts[i],
            predicted=labels[int(P[i].argmax())],
            probabilities={lab: round(float(p), 4) for lab, p in zip(labels, P[i], strict=True)},
            score=round(float(score[i]), 4),
            reasons=_reasons(i, sig, labels[int(P[i].argmax())]),
            ts=float(records[i]["ts"]),
        )
        for i in picked
    ]
    return ReviewQueue(name, version, config.strategy, labels, items, len(records), sig.notes)
