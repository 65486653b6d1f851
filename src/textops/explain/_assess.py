"""The assessment plane: several models (and predictions made elsewhere, e.g. by an LLM) on
one split, with uncertainty: accuracy, macro-F1 with a paired-bootstrap 95 % interval (scipy),
per-class F1, expected calibration error with its reliability bins, log loss where there are
probabilities, latency per text (p50 / p99 of single-text calls) and model size; McNemar's
test (statsmodels) between every pair."""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from textops._types import JSON
from textops.model import macro_f1
from textops.track import (
    PairedPredictions,
    Reliability,
    expected_calibration_error,
    mcnemar_test,
    reliability,
)

if TYPE_CHECKING:
    from textops.data import Dataset

__all__ = ["Assessment", "Candidate", "ModelScores", "PairComparison", "assess", "score_model"]

#: single-text calls timed per model for its latency percentiles
LATENCY_TEXTS = 100
#: bootstrap resamples of each macro-F1 interval
RESAMPLES = 2000


@dataclass(frozen=True)
class Candidate:
    """One model's answers on the split: labels, and probabilities (columns ``labels``) when
    it gives them."""

    name: str
    source: str
    predicted: list[str]
    proba: np.ndarray | None = None
    labels: list[str] | None = None
    latency_ms: tuple[float, float] | None = None  # p50, p99 per text
    size_bytes: int | None = None


@dataclass(frozen=True)
class ModelScores:
    name: str
    source: str
    n: int
    accuracy: float
    macro_f1: float
    macro_f1_ci: tuple[float, float]
    per_class_f1: dict[str, float]
    ece: float | None
    log_loss: float | None
    reliability: Reliability | None
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    size_bytes: int | None


@dataclass(frozen=True)
class PairComparison:
    a: str
    b: str
    p_value: float
    only_a_right: int
    only_b_right: int


@dataclass(frozen=True)
class Assessment:
    dataset: str
    split: str
    n: int
    models: list[ModelScores]
    pairs: list[PairComparison] = field(default_factory=list)

    def as_json(self) -> JSON:
        return asdict(self)


def score_model(
    uri: str, texts: Sequence[str], tracking_uri: str, *, latency_texts: int = LATENCY_TEXTS
) -> Candidate:
    """Load the model at ``uri``, predict ``texts`` in batches, time single-text calls."""
    from textops.track import download_model, load_classifier

    clf, _ = load_classifier(uri, tracking_uri)
    proba = clf.predict_proba(list(texts))
    sample = list(texts[:latency_texts])
    clf.predict_proba(sample[:1])  # warm
    times = []
    for text in sample:
        t0 = time.perf_counter()
        clf.predict_proba([text])
        times.append(1000 * (time.perf_counter() - t0))
    folder = download_model(uri, tracking_uri)
    size = sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())
    labels = clf.labels
    return Candidate(
        name=uri,
        source="model",
        predicted=[labels[i] for i in proba.argmax(axis=1)],
        proba=proba,
        labels=labels,
        latency_ms=(float(np.percentile(times, 50)), float(np.percentile(times, 99)))
        if times
        else None,
        size_bytes=size,
    )


def _interval(y: np.ndarray, pred: np.ndarray, k: int, seed: int) -> tuple[float, float]:
    from scipy.stats import bootstrap

    if len(y) < 2:
        return (float("nan"), float("nan"))
    res = bootstrap(
        (y, pred),
        lambda a, b: macro_f1(a, b, k),
        paired=True,
        vectorized=False,
        n_resamples=RESAMPLES,
        method="percentile",
        random_state=np.random.default_rng(seed),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def _scores(c: Candidate, y_true: list[str], seed: int) -> ModelScores:
    from sklearn.metrics import f1_score, log_loss

    codes = {lab: i for i, lab in enumerate(sorted(set(y_true) | set(c.predicted)))}
    y = np.array([codes[v] for v in y_true])
    pred = np.array([codes[v] for v in c.predicted])
    k = len(codes)
    classes = sorted(set(y_true))
    per_class = f1_score(y_true, c.predicted, labels=classes, average=None, zero_division=0)
    ece = loss = rel = None
    if c.proba is not None and c.labels is not None:
        correct = (pred == y).astype(float)
        ece = expected_calibration_error(c.proba, correct)
        rel = reliability(c.proba, correct)
        if set(y_true) <= set(c.labels):
            clipped = np.clip(c.proba, 1e-15, 1)
            clipped /= clipped.sum(axis=1, keepdims=True)
            loss = float(log_loss(y_true, clipped, labels=c.labels))
    return ModelScores(
        name=c.name,
        source=c.source,
        n=len(y),
        accuracy=float(np.mean(pred == y)),
        macro_f1=macro_f1(y, pred, k),
        macro_f1_ci=_interval(y, pred, k, seed),
        per_class_f1={lab: float(f) for lab, f in zip(classes, per_class, strict=True)},
        ece=ece,
        log_loss=loss,
        reliability=rel,
        latency_p50_ms=c.latency_ms[0] if c.latency_ms else None,
        latency_p99_ms=c.latency_ms[1] if c.latency_ms else None,
        size_bytes=c.size_bytes,
    )


def assess(
    dataset: str, split: str, y_true: list[str], candidates: Sequence[Candidate], seed: int = 0
) -> Assessment:
    """Every candidate scored on the same rows ``y_true``, and McNemar's test for each pair."""
    from textops.errors import ConfigError

    for c in candidates:
        if len(c.predicted) != len(y_true):
            raise ConfigError(
                f"{c.name}: {len(c.predicted)} predictions for {len(y_true)} rows of {split}"
            )
    models = [_scores(c, y_true, seed) for c in candidates]
    pairs = []
    for a, b in itertools.combinations(candidates, 2):
        p, counts = mcnemar_test(PairedPredictions(y_true, a.predicted, b.predicted))
        pairs.append(
            PairComparison(
                a.name, b.name, p, counts["only_challenger_right"], counts["only_champion_right"]
            )
        )
    return Assessment(dataset=dataset, split=split, n=len(y_true), models=models, pairs=pairs)


def llm_candidate(
    dataset: Dataset, texts: Sequence[str], url: str, model: str, shots: int = 2, seed: int = 0
) -> Candidate:
    """An LLM behind an OpenAI-compatible endpoint as a classifier over the dataset's labels,
    shown ``shots`` train examples per label (0: zero-shot), on ``texts``."""
    from textops.gen import EndpointGenerator, LLMClassifier

    labels = sorted(set(dataset.labels("train")))
    examples: list[tuple[str, str]] = []
    for lab in labels:
        rows = [
            t
            for t, y in zip(dataset.texts("train"), dataset.labels("train"), strict=True)
            if y == lab
        ][:shots]
        examples += [(t, lab) for t in rows]
    clf = LLMClassifier(EndpointGenerator(url, model), labels, examples, seed=seed)
    t0 = time.perf_counter()
    predicted = clf.predict(texts)
    per_text = 1000 * (time.perf_counter() - t0) / max(len(texts), 1)
    return Candidate(
        name=f"llm:{model}", source="llm", predicted=predicted, latency_ms=(per_text, per_text)
    )
