"""Feature statistics between classes (seed: AI-vs-human style studies): per class the mean,
standard deviation and median of each feature; between classes Welch's t-test and the
Mann-Whitney U test for every pair, Kruskal-Wallis across all classes when there are more
than two, the effect sizes Cohen's d and Glass's delta, and p-values Holm-corrected within each
test family over every feature (and pair). Tests come from scipy, the correction from
statsmodels; the effect sizes are their textbook formulas on the same summaries."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from textops._types import JSON

__all__ = ["ClassSummary", "FeatureStats", "PairTest", "feature_statistics"]


@dataclass(frozen=True)
class ClassSummary:
    n: int
    mean: float
    sd: float  # sample standard deviation (ddof 1)
    median: float


@dataclass(frozen=True)
class PairTest:
    """``a`` against ``b``; effect sizes are positive when ``a``'s mean is higher, and Glass's
    delta divides by ``b``'s standard deviation (``b`` is the reference group)."""

    a: str
    b: str
    welch_t: float
    welch_p: float
    welch_p_holm: float
    mannwhitney_u: float
    mannwhitney_p: float
    mannwhitney_p_holm: float
    cohens_d: float
    glass_delta: float


@dataclass(frozen=True)
class FeatureStats:
    feature: str
    classes: dict[str, ClassSummary]
    pairs: tuple[PairTest, ...]
    #: across all classes, only with more than two
    kruskal_h: float | None = None
    kruskal_p: float | None = None
    kruskal_p_holm: float | None = None

    def as_json(self) -> JSON:
        def clean(v: object) -> object:
            return None if isinstance(v, float) and not math.isfinite(v) else v

        return {
            "feature": self.feature,
            "classes": {
                k: {f: clean(v) for f, v in vars(s).items()} for k, s in self.classes.items()
            },
            "pairs": [{f: clean(v) for f, v in vars(p).items()} for p in self.pairs],
            "kruskal_h": clean(self.kruskal_h),
            "kruskal_p": clean(self.kruskal_p),
            "kruskal_p_holm": clean(self.kruskal_p_holm),
        }


def _summary(x: np.ndarray) -> ClassSummary:
    n = len(x)
    return ClassSummary(
        n=n,
        mean=float(np.mean(x)) if n else math.nan,
        sd=float(np.std(x, ddof=1)) if n > 1 else math.nan,
        median=float(np.median(x)) if n else math.nan,
    )


def _effects(a: ClassSummary, b: ClassSummary) -> tuple[float, float]:
    """Cohen's d (pooled standard deviation) and Glass's delta (``b``'s)."""
    diff = a.mean - b.mean
    dof = a.n + b.n - 2
    pooled = math.sqrt(((a.n - 1) * a.sd**2 + (b.n - 1) * b.sd**2) / dof) if dof > 0 else 0.0
    d = diff / pooled if pooled > 0 else math.nan
    delta = diff / b.sd if b.sd > 0 else math.nan
    return d, delta


def _holm(p: list[float]) -> list[float]:
    """Holm-adjusted p-values; NaN (a test that could not run) stays NaN, outside the family."""
    from statsmodels.stats.multitest import multipletests

    arr = np.asarray(p, dtype=float)
    out = np.full(len(arr), np.nan)
    ok = np.isfinite(arr)
    if ok.any():
        out[ok] = multipletests(arr[ok], method="holm")[1]
    return out.tolist()


def _pairs(labels: Sequence[str], reference: str | None) -> list[tuple[str, str]]:
    out = []
    for a, b in itertools.combinations(labels, 2):
        out.append((b, a) if a == reference else (a, b))
    return out


def feature_statistics(
    values: np.ndarray,
    names: Sequence[str],
    labels: Sequence[str],
    *,
    reference: str | None = None,
) -> list[FeatureStats]:
    """Statistics of each column of ``values`` (rows: texts, labelled by ``labels``). NaN
    values (a feature undefined for a text) are left out of that feature's numbers."""
    from scipy import stats

    y = np.asarray(labels)
    classes = sorted(set(labels))
    raw = []
    for j, name in enumerate(names):
        col = np.asarray(values[:, j], dtype=float)
        groups = {c: col[(y == c) & np.isfinite(col)] for c in classes}
        summaries = {c: _summary(g) for c, g in groups.items()}
        pairs = []
        for a, b in _pairs(classes, reference):
            ga, gb = groups[a], groups[b]
            enough = len(ga) > 1 and len(gb) > 1 and np.ptp(np.concatenate([ga, gb])) > 0
            t = stats.ttest_ind(ga, gb, equal_var=False) if enough else None
            u = stats.mannwhitneyu(ga, gb, alternative="two-sided") if enough else None
            d, delta = _effects(summaries[a], summaries[b])
            pairs.append((a, b, t, u, d, delta))
        kw = None
        pooled = list(groups.values())
        if len(classes) > 2 and all(len(g) for g in pooled) and np.ptp(np.concatenate(pooled)):
            kw = stats.kruskal(*pooled)
        raw.append((name, summaries, pairs, kw))
    nan = math.nan
    welch = _holm([float(t.pvalue) if t else nan for *_, ps, _ in raw for (_, _, t, *_) in ps])
    mwu = _holm([float(u.pvalue) if u else nan for *_, ps, _ in raw for (_, _, _, u, *_) in ps])
    kruskal = _holm([float(kw.pvalue) if kw else nan for *_, kw in raw])
    out, k = [], 0
    for i, (name, summaries, pairs, kw) in enumerate(raw):
        tests = []
        for a, b, t, u, d, delta in pairs:
            tests.append(
                PairTest(
                    a=a,
                    b=b,
                    welch_t=float(t.statistic) if t else nan,
                    welch_p=float(t.pvalue) if t else nan,
                    welch_p_holm=welch[k],
                    mannwhitney_u=float(u.statistic) if u else nan,
                    mannwhitney_p=float(u.pvalue) if u else nan,
                    mannwhitney_p_holm=mwu[k],
                    cohens_d=d,
                    glass_delta=delta,
                )
            )
            k += 1
        many = len(classes) > 2
        out.append(
            FeatureStats(
                feature=name,
                classes=summaries,
                pairs=tuple(tests),
                kruskal_h=(float(kw.statistic) if kw else nan) if many else None,
                kruskal_p=(float(kw.pvalue) if kw else nan) if many else None,
                kruskal_p_holm=kruskal[i] if many else None,
            )
        )
    return out
