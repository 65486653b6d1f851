"""Drift between a model's training data (the reference, saved with the model) and what it
serves now: predicted-label mix (PSI, chi-square), text length (KS), out-of-vocabulary rate
(KS), and embeddings (a domain classifier's ROC-AUC with a permutation p-value). Statistics
come from scipy and scikit-learn."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "DriftThresholds",
    "build_reference",
    "drift_report",
    "load_reference",
    "oov_rate",
    "save_reference",
]

_TOKEN = re.compile(r"\w+", re.UNICODE)
REF_JSON = "drift_reference.json"
REF_VECTORS = "drift_embeddings.npy"


@dataclass(frozen=True)
class DriftThresholds:
    psi: float = 0.2  # > 0.2: a significant shift of the predicted-label mix (common practice)
    p_value: float = 0.01  # chi-square and KS tests
    auc: float = 0.7  # domain classifier: current vs reference separable
    auc_p_value: float = 0.05
    min_current: int = 30  # fewer current rows: not enough to judge


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def oov_rate(text: str, vocab: set[str] | frozenset[str]) -> float:
    toks = _tokens(text)
    return sum(t not in vocab for t in toks) / len(toks) if toks else 0.0


def build_reference(
    *,
    train_texts: Sequence[str],
    train_vectors: Any | None,
    test_texts: Sequence[str],
    test_pred_labels: Sequence[str],
    labels: Sequence[str],
    seed: int = 0,
    max_vectors: int = 1000,
    max_lengths: int = 5000,
    vocab_size: int = 30_000,
) -> tuple[dict[str, Any], np.ndarray | None]:
    """Summary statistics of the training data, and a sample of its embeddings (dense only)."""
    rng = np.random.default_rng(seed)
    counts = Counter(t for text in train_texts for t in _tokens(text))
    vocab = [t for t, _ in counts.most_common(vocab_size)]
    vset = frozenset(vocab)
    idx = rng.permutation(len(train_texts))[:max_lengths]
    pred = Counter(test_pred_labels)
    ref = {
        "format": 1,
        "labels": list(labels),
        "predicted_label_counts": {lab: int(pred.get(lab, 0)) for lab in labels},
        "lengths": [len(train_texts[i]) for i in idx],
        "vocab": vocab,
        "oov_rates": [round(oov_rate(t, vset), 5) for t in test_texts],
        "n_train": len(train_texts),
    }
    vectors = None
    if train_vectors is not None and isinstance(train_vectors, np.ndarray):
        take = rng.permutation(len(train_vectors))[:max_vectors]
        vectors = np.asarray(train_vectors[take], dtype=np.float32)
    return ref, vectors


def save_reference(folder: Path, ref: dict[str, Any], vectors: np.ndarray | None) -> None:
    (folder / REF_JSON).write_text(json.dumps(ref))
    if vectors is not None:
        np.save(folder / REF_VECTORS, vectors, allow_pickle=False)


def load_reference(folder: Path) -> tuple[dict[str, Any], np.ndarray | None] | None:
    path = folder / REF_JSON
    if not path.is_file():
        return None
    vec = folder / REF_VECTORS
    vectors = np.load(vec, allow_pickle=False) if vec.is_file() else None
    return json.loads(path.read_text()), vectors


def _psi(ref: np.ndarray, cur: np.ndarray, eps: float = 1e-4) -> float:
    p = np.clip(ref / max(ref.sum(), 1), eps, None)
    q = np.clip(cur / max(cur.sum(), 1), eps, None)
    return float(np.sum((q - p) * np.log(q / p)))


def _criteria(checks: Sequence[tuple[str, float, str, float, bool]]) -> dict[str, Any]:
    """``summary`` (every statistic with its alert threshold) and ``fired_by`` (the ones
    over it, or None) from ``(name, value, "above"|"below", threshold, fired)`` checks: what a
    reader needs to see why a test says drift, whatever its score's scale."""

    def fmt(name: str, value: float, side: str, limit: float) -> str:
        return f"{name} {value:.3g} (alert {side} {limit:g})"

    return {
        "summary": "; ".join(fmt(n, v, side, lim) for n, v, side, lim, _ in checks),
        "fired_by": "; ".join(fmt(n, v, side, lim) for n, v, side, lim, f in checks if f) or None,
    }


def _label_tests(ref: dict[str, Any], labels: Sequence[str], th: DriftThresholds) -> dict[str, Any]:
    from scipy.stats import chi2_contingency

    names = ref["labels"]
    r = np.array([ref["predicted_label_counts"].get(n, 0) for n in names], dtype=float)
    c = np.array([sum(1 for x in labels if x == n) for n in names], dtype=float)
    psi = _psi(r, c)
    keep = (r + c) > 0
    table = np.vstack([r[keep], c[keep]])
    p = float(chi2_contingency(table)[1]) if table.shape[1] > 1 else 1.0
    return {
        "psi": round(psi, 6),
        "chi2_p_value": p,
        "reference": dict(zip(names, r.astype(int).tolist(), strict=True)),
        "current": dict(zip(names, c.astype(int).tolist(), strict=True)),
        "drifted": bool(psi > th.psi or p < th.p_value),
        **_criteria(
            [
                ("PSI", psi, "above", th.psi, psi > th.psi),
                ("chi-square p-value", p, "below", th.p_value, p < th.p_value),
            ]
        ),
    }


def _ks(
    ref: Sequence[float], cur: Sequence[float], th: DriftThresholds, alternative: str = "two-sided"
) -> dict[str, Any]:
    from scipy.stats import ks_2samp

    # alternative="greater": only a current distribution shifted *up* counts (scipy's convention:
    # the reference CDF lies above the current one)
    res = ks_2samp(
        np.asarray(ref, dtype=float), np.asarray(cur, dtype=float), alternative=alternative
    )
    return {
        "ks_statistic": round(float(res.statistic), 6),
        "p_value": float(res.pvalue),
        "reference_mean": round(float(np.mean(ref)), 4),
        "current_mean": round(float(np.mean(cur)), 4),
        "drifted": bool(res.pvalue < th.p_value),
        **_criteria(
            [("KS p-value", float(res.pvalue), "below", th.p_value, res.pvalue < th.p_value)]
        ),
    }


def _embedding_test(
    ref: np.ndarray, cur: np.ndarray, th: DriftThresholds, permutations: int, seed: int
) -> dict[str, Any]:
    """Can a classifier tell current embeddings from reference ones? ROC-AUC by 3-fold CV, and
    the share of label permutations that score as well (the p-value)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, permutation_test_score

    n = min(len(ref), len(cur))
    rng = np.random.default_rng(seed)
    a = ref[rng.permutation(len(ref))[:n]]
    b = cur[rng.permutation(len(cur))[:n]]
    X = np.vstack([a, b])
    y = np.r_[np.zeros(n), np.ones(n)]
    auc, _, p = permutation_test_score(
        LogisticRegression(C=1.0, max_iter=500),
        X,
        y,
        scoring="roc_auc",
        cv=StratifiedKFold(3, shuffle=True, random_state=seed),
        n_permutations=permutations,
        random_state=seed,
    )
    return {
        "domain_auc": round(float(auc), 6),
        "p_value": float(p),
        "n_each": n,
        "drifted": bool(auc > th.auc and p < th.auc_p_value),
        **_criteria(
            [
                ("domain AUC", float(auc), "above", th.auc, auc > th.auc and p < th.auc_p_value),
                (
                    "permutation p-value",
                    float(p),
                    "below",
                    th.auc_p_value,
                    auc > th.auc and p < th.auc_p_value,
                ),
            ]
        ),
    }


def drift_report(
    ref: dict[str, Any],
    ref_vectors: np.ndarray | None,
    *,
    labels: Sequence[str],
    lengths: Sequence[int],
    oov: Sequence[float] | None = None,
    vectors: np.ndarray | None = None,
    thresholds: DriftThresholds | None = None,
    permutations: int = 30,
    seed: int = 0,
) -> dict[str, Any]:
    """One report: a section per test with its score, p-value and ``drifted``; ``drift`` is
    True when any test drifted. Tests without enough current data say so."""
    th = thresholds or DriftThresholds()
    out: dict[str, Any] = {"n_current": len(labels), "thresholds": th.__dict__, "tests": {}}
    if len(labels) < th.min_current:
        out["drift"] = False
        out["note"] = f"only {len(labels)} current predictions; need {th.min_current}"
        return out
    tests = out["tests"]
    tests["predicted_labels"] = _label_tests(ref, labels, th)
    tests["text_length"] = _ks(ref["lengths"], lengths, th)
    if oov is not None and len(oov) >= th.min_current and ref.get("oov_rates"):
        # fewer unknown words than in training is no concern: a one-sided test
        tests["oov_rate"] = _ks(ref["oov_rates"], oov, th, alternative="greater")
    if ref_vectors is not None and vectors is not None and len(vectors) >= th.min_current:
        tests["embedding"] = _embedding_test(ref_vectors, vectors, th, permutations, seed)
    out["drift"] = any(t["drifted"] for t in tests.values())
    return out
