"""The audit as one self-contained HTML page: the counts, which label was taken for which
(given against suggested), and every suspect with its text, worst label first."""

from __future__ import annotations

import html
from collections import Counter
from pathlib import Path

from textops._util import atomic_write
from textops.review._dataset import DatasetAudit

__all__ = ["write_audit_html"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 20px; color: #222; }
table { border-collapse: collapse; font-size: 13px; margin-bottom: 18px; }
td, th { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
td.text { max-width: 720px; } td.num { text-align: right; }
.signal { background: #eef; border-radius: 3px; padding: 0 4px; margin-right: 3px; font-size: 11px; }
.given { color: #b00; } .suggested { color: #070; }
"""


def _cell(value: object, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<td{attr}>{html.escape(str(value))}</td>"


def _pairs(audit: DatasetAudit) -> str:
    counts = Counter((s.given, s.suggested) for s in audit.report.label_suspects)
    rows = "".join(
        f"<tr>{_cell(g, 'given')}{_cell(s, 'suggested')}{_cell(n, 'num')}</tr>"
        for (g, s), n in counts.most_common()
    )
    return f"<table><tr><th>given</th><th>suggested</th><th>suspects</th></tr>{rows}</table>"


def _suspects(audit: DatasetAudit, limit: int) -> str:
    rows = []
    for s in audit.report.suspects[:limit]:
        signals = "".join(f'<span class="signal">{html.escape(x)}</span>' for x in s.signals)
        rows.append(
            "<tr>"
            + _cell(s.row, "num")
            + _cell(s.text, "text")
            + _cell(s.given, "given")
            + _cell(s.suggested, "suggested")
            + _cell(f"{s.confidence:.2f}", "num")
            + _cell(f"{s.label_quality:.2f}", "num")
            + f"<td>{signals}</td></tr>"
        )
    head = ("<tr><th>row</th><th>text</th><th>given</th><th>suggested</th><th>confidence</th>"
            "<th>p(given)</th><th>signals</th></tr>")  # fmt: skip
    return f"<table>{head}{''.join(rows)}</table>"


def write_audit_html(audit: DatasetAudit, path: Path, *, limit: int = 2000) -> Path:
    """Write the page (texts escaped: a dataset's text is never markup here)."""
    r = audit.report
    split = audit.split or "every split"
    summary = (
        f"<p>{len(r.label_suspects):,} suspect labels among {r.rows:,} rows ({split}); "
        f"signals: {', '.join(f'{k} {v:,}' for k, v in r.by_signal.items())}. Out-of-fold "
        f"probabilities from {html.escape(r.embedder)} + {html.escape(r.head)}, {r.folds} "
        f"folds; cleanlab filter {html.escape(r.filter_by)}. An outlier alone is listed, "
        "not counted as a wrong label.</p>"
    )
    title = html.escape(f"label audit: {audit.dataset}@{audit.version}")
    page = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{title}</h1>{summary}"
        f"<h2>given vs suggested</h2>{_pairs(audit)}"
        f"<h2>suspects, worst label first</h2>{_suspects(audit, limit)}</body></html>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as fh:  # bytes: the locale's encoding may not hold the texts
        fh.write(page.encode("utf-8"))
    return path
