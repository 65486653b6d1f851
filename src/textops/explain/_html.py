"""Attributions as highlighted text: one self-contained HTML page (``textops explain --html``).

The colour rule is :func:`word_style` here and ``wordStyle`` in the service's dashboard
(``serve/static/dashboard.html``): green supports the explained label, red speaks against
it, opacity is the score over the text's largest absolute score. Keep the two in step."""

from __future__ import annotations

import html
from collections.abc import Sequence

from textops.explain._attribution import Attribution

__all__ = ["render_html", "word_style"]

_CSS = """
body{font:15px/1.6 system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#222}
.attr{border:1px solid #ddd;border-radius:6px;padding:.8rem 1rem;margin:1rem 0}
.attr .meta{font-size:13px;color:#555;margin-bottom:.4rem}
.attr .w{border-radius:3px;padding:0 1px}
.legend span{padding:0 .4rem;border-radius:3px}
"""


def word_style(score: float, scale: float) -> str:
    """The CSS background of a word with ``score`` when the text's largest |score| is
    ``scale``."""
    if scale <= 0 or score == 0:
        return ""
    alpha = min(1.0, abs(score) / scale) * 0.8
    rgb = "22,163,74" if score > 0 else "220,38,38"
    return f"background:rgba({rgb},{alpha:.3f})"


def _fragment(a: Attribution) -> str:
    scale = max((abs(s) for s in a.scores), default=0.0)
    parts, pos = [], 0
    for (start, end), score in zip(a.spans, a.scores, strict=True):
        parts.append(html.escape(a.text[pos:start]))
        word = html.escape(a.text[start:end])
        parts.append(
            f'<span class="w" style="{word_style(score, scale)}" title="{score:+.4f}">{word}</span>'
        )
        pos = end
    parts.append(html.escape(a.text[pos:]))
    asked = "" if a.label == a.predicted else f" (predicted: {html.escape(a.predicted)})"
    return (
        f'<div class="attr"><div class="meta">{html.escape(a.label)} '
        f"p={a.probability:.3f}{asked} &middot; {a.method}</div>"
        f'<div class="text">{"".join(parts)}</div></div>'
    )


def render_html(attributions: Sequence[Attribution], title: str = "textops explain") -> str:
    body = "\n".join(_fragment(a) for a in attributions)
    legend = (
        '<p class="legend"><span style="background:rgba(22,163,74,.6)">supports the label</span> '
        '<span style="background:rgba(220,38,38,.6)">against it</span> '
        "(hover a word for its score)</p>"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>{legend}\n{body}\n"
        "</body></html>\n"
    )
