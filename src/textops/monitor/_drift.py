"""Drift between a model's training data (the reference, saved with the model) and what it
serves now: predicted-label mix (PSI, chi-square), text length (KS), out-of-vocabulary rate
(KS), and embeddings (a domain classifier's ROC-AUC with a permutation p-value). Statistics
come from scipy and scikit-learn."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from textops.model import TrainingReference
from textops.monitor._drift_types import (
    DistributionTest,
    DomainTest,
    DriftReport,
    DriftTest,
    DriftThresholds,
    LabelMixTest,
)

__all__ = ["DriftThresholds", "drift_report"]


def _psi(ref: np.ndarray, cur: np.ndarray, eps: float = 1e-4) -> float:
    p = np.clip(ref / max(ref.sum(), 1), eps, None)
    q = np.clip(cur / max(cur.sum(), 1), eps, None)
    return float(np.sum((q - p) * np.log(q / p)))


def _criteria(checks: Sequence[tuple[str, float, str, float, bool]]) -> tuple[str, str | None]:
    """``summary`` (every statistic with its alert threshold) and ``fired_by`` (the ones
    over it, or None) from ``(name, value, "above"|"below", threshold, fired)`` checks: what a
    reader needs to see why a test says drift, whatever its score's scale."""

    def fmt(name: str, value: float, side: str, limit: float) -> str:
        return f"{name} {value:.3g} (alert {side} {limit:g})"

    summary = "; ".join(fmt(n, v, side, lim) for n, v, side, lim, _ in checks)
    fired_by = "; ".join(fmt(n, v, side, lim) for n, v, side, lim, f in checks if f) or None
    return summary, fired_by


def _label_tests(
    ref: TrainingReference, labels: Sequence[str], th: DriftThresholds
) -> LabelMixTest:
    from scipy.stats import chi2_contingency

    names = list(ref.labels)
    r = np.array([ref.predicted_label_counts.get(n, 0) for n in names], dtype=float)
    c = np.array([sum(1 for x in labels if x == n) for n in names], dtype=float)
    psi = _psi(r, c)
    keep = (r + c) > 0
    table = np.vstack([r[keep], c[keep]])
    note = None
    if r.sum() == 0:
        # a model with no predicted-label counts in its reference (a few-labels model scored
        # by repeated CV has no test split): nothing to compare the served mix with
        p, psi, note = 1.0, 0.0, "the reference has no predicted-label counts: mix not compared"
    elif table.shape[1] > 1:
        p = float(chi2_contingency(table)[1])
    else:
        p = 1.0
    summary, fired_by = _criteria(
        [
            ("PSI", psi, "above", th.psi, psi > th.psi),
            ("chi-square p-value", p, "below", th.p_value, p < th.p_value),
        ]
    )
    return LabelMixTest(
        psi=round(psi, 6),
        chi2_p_value=p,
        reference=dict(zip(names, r.astype(int).tolist(), strict=True)),
        current=dict(zip(names, c.astype(int).tolist(), strict=True)),
        drifted=bool(psi > th.psi or p < th.p_value),
        summary=summary,
        fired_by=fired_by,
        note=note,
    )


def _ks(
    ref: Sequence[float], cur: Sequence[float], th: DriftThresholds, alternative: str = "two-sided"
) -> DistributionTest:
    from scipy.stats import ks_2samp

    # alternative="greater": only a current distribution shifted *up* counts (scipy's convention:
    # the reference CDF lies above the current one)
    res = ks_2samp(
        np.asarray(ref, dtype=float), np.asarray(cur, dtype=float), alternative=alternative
    )
    summary, fired_by = _criteria(
        [("KS p-value", float(res.pvalue), "below", th.p_value, res.pvalue < th.p_value)]
    )
    return DistributionTest(
        ks_statistic=round(float(res.statistic), 6),
        p_value=float(res.pvalue),
        reference_mean=round(float(np.mean(ref)), 4),
        current_mean=round(float(np.mean(cur)), 4),
        drifted=bool(res.pvalue < th.p_value),
        summary=summary,
        fired_by=fired_by,
    )


def _embedding_test(
    ref: np.ndarray, cur: np.ndarray, th: DriftThresholds, permutations: int, seed: int
) -> DomainTest:
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
    fired = bool(auc > th.auc and p < th.auc_p_value)
    summary, fired_by = _criteria(
        [
            ("domain AUC", float(auc), "above", th.auc, fired),
            ("permutation p-value", float(p), "below", th.auc_p_value, fired),
        ]
    )
    return DomainTest(
        domain_auc=round(float(auc), 6),
        p_value=float(p),
        n_each=n,
        drifted=fired,
        summary=summary,
        fired_by=fired_by,
    )


def drift_report(
    ref: TrainingReference,
    *,
    labels: Sequence[str],
    lengths: Sequence[int],
    oov: Sequence[float] | None = None,
    vectors: np.ndarray | None = None,
    thresholds: DriftThresholds | None = None,
    permutations: int = 30,
    seed: int = 0,
) -> DriftReport:
    """One report: a section per test with its score, p-value and ``drifted``; ``drift`` is
    True when any test drifted. Tests without enough current data say so."""
    th = thresholds or DriftThresholds()
    if len(labels) < th.min_current:
        note = f"only {len(labels)} current predictions; need {th.min_current}"
        return DriftReport(drift=False, n_current=len(labels), thresholds=th, note=note)
    tests: dict[str, DriftTest] = {}
    tests["predicted_labels"] = _label_tests(ref, labels, th)
    tests["text_length"] = _ks(ref.lengths, lengths, th)
    if oov is not None and len(oov) >= th.min_current and ref.oov_rates:
        # fewer unknown words than in training is no concern: a one-sided test
        tests["oov_rate"] = _ks(ref.oov_rates, oov, th, alternative="greater")
    if ref.vectors is not None and vectors is not None and len(vectors) >= th.min_current:
        tests["embedding"] = _embedding_test(ref.vectors, vectors, th, permutations, seed)
    drifted = any(t.drifted for t in tests.values())
    return DriftReport(drift=drifted, n_current=len(labels), thresholds=th, tests=tests)
