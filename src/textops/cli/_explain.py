"""``textops explain``: which words made a model say what it said, and whether those
attributions are faithful (ERASER comprehensiveness / sufficiency against a random order)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from textops.cli._common import JsonOpt, TrackingOpt, emit, handle_errors


def _show(attrs: list, top: int) -> None:  # type: ignore[type-arg]
    """Each text with its words coloured (green for, red against the label) on a terminal."""
    from rich.console import Console
    from rich.text import Text

    console = Console()
    for a in attrs:
        scale = max((abs(s) for s in a.scores), default=0.0) or 1.0
        line = Text()
        pos = 0
        for (start, end), score in zip(a.spans, a.scores, strict=True):
            line.append(a.text[pos:start])
            level = int(min(1.0, abs(score) / scale) * 4)
            colour = ("green" if score > 0 else "red") if level else ""
            line.append(a.text[start:end], style=f"bold {colour}" if level >= 2 else colour)
            pos = end
        line.append(a.text[pos:])
        asked = "" if a.label == a.predicted else f" (predicted {a.predicted})"
        console.print(f"[bold]{a.label}[/] p={a.probability:.3f}{asked} · {a.method}")
        console.print(line)
        best = a.top(top)  # three significant digits: a small score is not shown as 0.000
        said = ", ".join(f"{w} {s:+.3g}" for w, s in best) or "(no word supports the label)"
        console.print(f"  top: {said}", highlight=False)


def _evaluate(clf, model_uri, dataset, split, sample, methods, tracking_uri, as_json) -> None:  # type: ignore[no-untyped-def]
    import random

    from textops.data import DatasetStore
    from textops.errors import ConfigError
    from textops.explain import METHODS, evaluate_faithfulness
    from textops.track import model_dataset

    name = dataset or model_dataset(model_uri, tracking_uri)
    if name is None:
        raise ConfigError("--evaluate needs --dataset NAME (the model does not record its own)")
    texts = [t for t in DatasetStore().get(name).texts(split) if t.split()]
    if not texts:
        raise ConfigError(f"dataset {name!r} has no texts in split {split!r}; see --split")
    texts = random.Random(0).sample(texts, min(sample, len(texts)))
    if methods == ["auto"]:
        from textops._packages import available

        methods = [m for m, s in METHODS.items() if s.supports(clf) and available(*s.needs)]
    results = evaluate_faithfulness(clf, texts, methods, show_progress=not as_json)
    report = {
        "model_uri": model_uri,
        "dataset": name,
        "split": split,
        "texts": len(texts),
        "methods": [r.as_json() for r in results],
    }
    if as_json:
        emit(report, True)
        return
    typer.echo(f"faithfulness on {len(texts)} {split} texts of {name} (ERASER; top 20 % of words)")
    typer.echo(f"{'method':<10} {'compr.':>8} {'random':>8} {'ratio':>6} {'suff.':>8} "
               f"{'random':>8} {'s/text':>8}")  # fmt: skip
    for r in results:
        i = 3  # BINS[3] == 20
        typer.echo(
            f"{r.method:<10} {r.comprehensiveness[i]:>8.4f} {r.random_comprehensiveness[i]:>8.4f} "
            f"{r.ratio(20):>6.2f} {r.sufficiency[i]:>8.4f} {r.random_sufficiency[i]:>8.4f} "
            f"{r.seconds_per_text:>8.4f}"
        )
    typer.echo("comprehensiveness: the label's probability lost without those words (higher is "
               "better); sufficiency: lost with only them (lower is better)")  # fmt: skip


def _global(clf, model_uri: str, html: Path | None, top: int, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    from textops.explain import ebm_importances, importances_png

    terms = ebm_importances(clf)
    if html is not None:
        import base64

        png = base64.b64encode(importances_png(terms, max(top, 20))).decode()
        html.write_text(
            f"<!doctype html><html><head><meta charset='utf-8'><title>{model_uri}</title></head>"
            f"<body><h1>term importances: {model_uri}</h1>"
            f"<img alt='term importances' src='data:image/png;base64,{png}'></body></html>\n",
            "utf-8",
        )
    if as_json:
        emit({"model_uri": model_uri, "terms": [{"term": t, "importance": v} for t, v in terms]},
             True)  # fmt: skip
        return
    typer.echo(f"term importances (mean |contribution|, log-odds) of {model_uri}")
    for t, v in terms[: max(top, 10)]:
        typer.echo(f"{v:>9.4f}  {t}")
    if html is not None:
        typer.echo(f"wrote {html}")


@handle_errors
def explain(
    model_uri: Annotated[str, typer.Argument(help="models:/NAME@champion, models:/NAME/3, ...")],
    texts: Annotated[list[str] | None, typer.Argument(help="Texts to explain.")] = None,
    method: Annotated[
        list[str],
        typer.Option(
            help="auto (linear when exact: linear head on word TF-IDF; else occlusion), "
            "occlusion (any model; one batched model call per text), linear, ig (integrated "
            "gradients through a sentence-transformers encoder), shap. Repeat with --evaluate.",
        ),
    ] = ["auto"],  # noqa: B006 - typer's list default
    label: Annotated[
        str | None, typer.Option(help="Explain this label (default: the predicted one).")
    ] = None,
    html: Annotated[
        Path | None, typer.Option(help="Write the highlighted texts as one HTML page.")
    ] = None,
    top: Annotated[int, typer.Option(help="Words listed per text.")] = 5,
    evaluate: Annotated[
        bool,
        typer.Option(
            "--evaluate",
            help="Measure faithfulness instead: ERASER comprehensiveness and sufficiency of "
            "each method (every one that applies, unless --method) against a random order.",
        ),
    ] = False,
    sample: Annotated[int, typer.Option(help="Texts --evaluate explains.")] = 100,
    global_: Annotated[
        bool,
        typer.Option(
            "--global",
            help="An EBM model's term importances (mean |contribution| of each feature and "
            "pair), printed, and plotted with --html.",
        ),
    ] = False,
    dataset: Annotated[
        str | None,
        typer.Option(help="Dataset for --evaluate (default: the one the model was trained on)."),
    ] = None,
    split: Annotated[str, typer.Option(help="Split for --evaluate.")] = "test",
    tracking_uri: str | None = TrackingOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Word attributions toward the predicted label (or --label): which words made the model
    say it. Green words support the label, red ones speak against it.

    Example: textops explain models:/spam@champion "WIN a free prize now" --html why.html"""
    from textops.errors import ConfigError
    from textops.explain import explain_texts, render_html
    from textops.track import default_tracking_uri, load_classifier

    tracking_uri = tracking_uri or default_tracking_uri()
    clf, _ = load_classifier(model_uri, tracking_uri)
    if global_:
        _global(clf, model_uri, html, top, as_json)
        return
    if evaluate:
        _evaluate(clf, model_uri, dataset, split, sample, method, tracking_uri, as_json)
        return
    if not texts:
        raise ConfigError("give TEXT arguments to explain (or --evaluate)")
    if len(method) != 1:
        raise ConfigError("method: give one --method to explain texts (several: --evaluate)")
    from textops._text import decode_escaped

    texts = [decode_escaped(t)[0] for t in texts]
    attrs = explain_texts(clf, texts, method[0], label)
    if html is not None:
        html.write_text(render_html(attrs, f"textops explain {model_uri}"), "utf-8")
    if as_json:
        emit({"model_uri": model_uri, "explanations": [a.as_json() for a in attrs]}, True)
        return
    _show(attrs, top)
    if html is not None:
        typer.echo(f"wrote {html}")
