"""An :class:`~textops.explain._assess.Assessment` as one self-contained HTML page: the score
table, macro-F1 intervals and reliability diagrams as plots, per-class F1, McNemar's tests."""

from __future__ import annotations

import base64
import html
import io
import math
from typing import TYPE_CHECKING, Any

from textops.explain._assess import Assessment

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["assessment_figure", "assessment_html"]


def _num(v: float | None, digits: int = 4) -> str:
    return "-" if v is None or not math.isfinite(v) else f"{v:.{digits}f}"


def assessment_figure(a: Assessment) -> Figure:
    """Macro-F1 with its 95 % interval per model, and each model's reliability diagram."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 0.45 * len(a.models) + 3.2))
    names = [m.name for m in a.models][::-1]
    f1 = [m.macro_f1 for m in a.models][::-1]
    lo = [m.macro_f1 - m.macro_f1_ci[0] for m in a.models][::-1]
    hi = [m.macro_f1_ci[1] - m.macro_f1 for m in a.models][::-1]
    left.errorbar(f1, range(len(names)), xerr=[lo, hi], fmt="o", capsize=4)
    left.set_yticks(range(len(names)), [n[-40:] for n in names], fontsize=8)
    left.set_xlabel("macro-F1 (95 % bootstrap interval)")
    right.plot([0, 1], [0, 1], ls="--", color="#999", lw=1)
    for m in a.models:
        if m.reliability is not None and m.reliability.count:
            right.plot(m.reliability.confidence, m.reliability.accuracy, "o-", label=m.name[-30:])
    right.set_xlabel("confidence")
    right.set_ylabel("accuracy")
    right.set_title("reliability (on the diagonal: calibrated)", fontsize=9)
    if right.get_legend_handles_labels()[0]:
        right.legend(fontsize=7)
    fig.tight_layout()
    return fig


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def assessment_html(a: Assessment) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(m.name)}</td><td>{e(m.source)}</td><td>{_num(m.accuracy)}</td>"
        f"<td>{_num(m.macro_f1)} [{_num(m.macro_f1_ci[0])}, {_num(m.macro_f1_ci[1])}]</td>"
        f"<td>{_num(m.ece)}</td><td>{_num(m.log_loss)}</td>"
        f"<td>{_num(m.latency_p50_ms, 2)} / {_num(m.latency_p99_ms, 2)}</td>"
        f"<td>{'-' if m.size_bytes is None else f'{m.size_bytes / 1e6:.1f} MB'}</td></tr>"
        for m in a.models
    )
    classes = sorted({c for m in a.models for c in m.per_class_f1})
    per_class = "".join(
        f"<tr><td>{e(m.name)}</td>"
        + "".join(f"<td>{_num(m.per_class_f1.get(c))}</td>" for c in classes)
        + "</tr>"
        for m in a.models
    )
    pairs = "".join(
        f"<tr><td>{e(p.a)}</td><td>{e(p.b)}</td><td>{p.only_a_right}</td><td>{p.only_b_right}"
        f"</td><td>{_num(p.p_value)}</td></tr>"
        for p in a.pairs
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>textops assess</title><style>"
        "body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse;"
        "margin:.5rem 0 1.5rem}td,th{border:1px solid #ddd;padding:4px 8px}</style></head><body>"
        f"<h1>{e(a.dataset)}: {e(a.split)} split, {a.n:,} rows</h1>"
        "<table><tr><th>model</th><th>source</th><th>accuracy</th><th>macro-F1 [95 %]</th>"
        "<th>ECE</th><th>log loss</th><th>latency p50 / p99 ms</th><th>size</th></tr>"
        f"{rows}</table><img alt='macro-F1 intervals and reliability' "
        f"src='data:image/png;base64,{_png(assessment_figure(a))}'>"
        "<h2>per-class F1</h2><table><tr><th>model</th>"
        + "".join(f"<th>{e(c)}</th>" for c in classes)
        + f"</tr>{per_class}</table>"
        "<h2>McNemar's test between every pair</h2><p>Rows only one of the two gets right; "
        "a small p-value: their error rates differ beyond chance.</p><table><tr><th>a</th>"
        f"<th>b</th><th>only a right</th><th>only b right</th><th>p</th></tr>{pairs}</table>"
        "</body></html>\n"
    )
