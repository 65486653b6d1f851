"""``textops stats``: the features of a dataset's texts, their statistics between classes
(:mod:`._stats`), and a report with box plots (one panel per feature, one box per class)."""

from __future__ import annotations

import base64
import html
import io
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from textops._types import JSON
from textops.data import Dataset
from textops.embed import EmbeddingCache
from textops.explain._stats import FeatureStats, feature_statistics

__all__ = ["FEATURE_GROUPS", "StatsReport", "compute_features", "dataset_statistics"]

#: linguistic: the v2 linguistic features (readability, richness, lexical density, ...);
#: flow: mean similarity of consecutive sentences from the sentence embedder (MiniLM)
FEATURE_GROUPS = ("linguistic", "flow")


def compute_features(
    texts: Sequence[str],
    groups: Sequence[str] = ("linguistic",),
    *,
    cache: EmbeddingCache | None = None,
    show_progress: bool | None = None,
) -> tuple[np.ndarray, list[str]]:
    """A (texts x features) matrix and its column names."""
    from textops.embed import make_embedder, semantic_flow
    from textops.errors import ConfigError

    unknown = sorted(set(groups) - set(FEATURE_GROUPS))
    if unknown or not groups:
        raise ConfigError(
            f"features: unknown {', '.join(unknown) or '(none)'}; choose from "
            f"{', '.join(FEATURE_GROUPS)}"
        )
    cols, names = [], []
    if "linguistic" in groups:
        emb = make_embedder("linguistic", feature_set="v2").fit([])
        cols.append(np.asarray(emb.transform(list(texts)), dtype=np.float64))
        names += [str(n) for n in emb.get_feature_names_out()]
    if "flow" in groups:
        flow = semantic_flow(texts, cache=cache, show_progress=show_progress)
        cols.append(flow[:, None])
        names.append("semantic_flow")
    return np.hstack(cols), names


@dataclass(frozen=True)
class StatsReport:
    dataset: str
    split: str | None
    counts: dict[str, int]
    reference: str | None
    features: list[FeatureStats]
    #: the values behind the statistics (for the box plots; not in ``as_json``)
    values: np.ndarray
    labels: list[str]

    def as_json(self) -> JSON:
        return {
            "dataset": self.dataset,
            "split": self.split,
            "counts": self.counts,
            "reference": self.reference,
            "features": [f.as_json() for f in self.features],
        }

    def boxplots_png(self) -> bytes:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        classes = sorted(self.counts)
        n = len(self.features)
        cols = 3
        rows = math.ceil(n / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.8 * rows), squeeze=False)
        y = np.asarray(self.labels)
        for j, (ax, fs) in enumerate(zip(axes.flat, self.features, strict=False)):
            col = self.values[:, j]
            data = [col[(y == c) & np.isfinite(col)] for c in classes]
            ax.boxplot(data, showfliers=False)
            ax.set_xticks(range(1, len(classes) + 1), classes, fontsize=8)
            ax.set_title(fs.feature, fontsize=9)
        for ax in list(axes.flat)[n:]:
            ax.axis("off")
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=80)
        plt.close(fig)
        return buf.getvalue()

    def html(self) -> str:
        classes = sorted(self.counts)
        e = html.escape

        def num(v: float | None) -> str:
            return "-" if v is None or not math.isfinite(v) else f"{v:.4g}"

        head = "".join(f"<th>{e(c)} mean (sd) / median</th>" for c in classes)
        rows = []
        for fs in self.features:
            cells = "".join(
                f"<td>{num(s.mean)} ({num(s.sd)}) / {num(s.median)}</td>"
                for s in (fs.classes[c] for c in classes)
            )
            tests = "<br>".join(
                f"{e(p.a)} vs {e(p.b)}: Welch p={num(p.welch_p_holm)}, MWU p="
                f"{num(p.mannwhitney_p_holm)}, d={num(p.cohens_d)}, &Delta;={num(p.glass_delta)}"
                for p in fs.pairs
            )
            if fs.kruskal_p_holm is not None:
                tests += f"<br>Kruskal-Wallis p={num(fs.kruskal_p_holm)}"
            rows.append(f"<tr><td>{e(fs.feature)}</td>{cells}<td>{tests}</td></tr>")
        png = base64.b64encode(self.boxplots_png()).decode()
        counts = ", ".join(f"{e(k)} {v:,}" for k, v in sorted(self.counts.items()))
        return (
            "<!doctype html><html><head><meta charset='utf-8'><title>textops stats</title>"
            "<style>body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:"
            "collapse}td,th{border:1px solid #ddd;padding:4px 8px;vertical-align:top}</style>"
            f"</head><body><h1>{e(self.dataset)} ({e(self.split or 'all rows')})</h1>"
            f"<p>{counts}. p-values Holm-corrected per test over every feature; d: Cohen's d, "
            "&Delta;: Glass's delta (second class as reference).</p>"
            f"<table><tr><th>feature</th>{head}<th>tests</th></tr>{''.join(rows)}</table>"
            f"<h2>box plots</h2><img alt='box plots' src='data:image/png;base64,{png}'>"
            "</body></html>\n"
        )


def dataset_statistics(
    dataset: Dataset,
    split: str | None = "train",
    groups: Sequence[str] = ("linguistic",),
    *,
    reference: str | None = None,
    cache: EmbeddingCache | None = None,
    show_progress: bool | None = None,
) -> StatsReport:
    """Features of ``dataset``'s ``split`` (None: every row) and their statistics between
    its labels."""
    from textops.errors import ConfigError

    texts, labels = dataset.texts(split), dataset.labels(split)
    if not texts:
        raise ConfigError(f"split: {dataset.name!r} has no rows in split {split!r}")
    counts = dict(Counter(labels))
    if reference is not None and reference not in counts:
        raise ConfigError(f"reference: {reference!r} is not a label ({', '.join(sorted(counts))})")
    values, names = compute_features(texts, groups, cache=cache, show_progress=show_progress)
    return StatsReport(
        dataset=dataset.name,
        split=split,
        counts=counts,
        reference=reference,
        features=feature_statistics(values, names, labels, reference=reference),
        values=values,
        labels=labels,
    )
