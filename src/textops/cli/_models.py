"""``textops models ...``, ``textops env check`` and ``textops predict``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from textops.cli._common import EXIT_FAILED_CHECK, JsonOpt, TrackingOpt, emit, handle_errors

app = typer.Typer(
    help="The model registry: versions, champion/challenger aliases, rollback.",
    no_args_is_help=True,
)
env_app = typer.Typer(
    help="Compare this environment with a model's environment lock.", no_args_is_help=True
)


def _registry(uri: str | None) -> Any:
    from textops.track import ModelRegistry

    return ModelRegistry(uri)


@app.command("list")
@handle_errors
def list_(tracking_uri: str | None = TrackingOpt, as_json: bool = JsonOpt) -> None:
    """Registered models with their champion version."""
    rows = _registry(tracking_uri).models()
    if as_json:
        emit({"models": rows}, True)
        return
    for r in rows:
        typer.echo(f"{r['name']:24} champion v{r['champion']}  aliases {r['aliases']}")
    if not rows:
        typer.echo("no registered models yet: run `textops search DATASET`")


@app.command()
@handle_errors
def show(name: str, tracking_uri: str | None = TrackingOpt, as_json: bool = JsonOpt) -> None:
    """Every version of a model: aliases, test macro-F1, embedder, head, dataset."""
    rows = _registry(tracking_uri).versions(name)
    if as_json:
        emit({"name": name, "versions": rows}, True)
        return
    for r in rows:
        t = r["tags"]
        typer.echo(
            f"v{r['version']:<3} {','.join(r['aliases']) or '-':18} "
            f"test macro-F1 {float(t.get('textops.test_macro_f1', 'nan')):.4f}  "
            f"{t.get('textops.embedder')} + {t.get('textops.head')}  "
            f"{t.get('textops.dataset', '')}"
        )


@app.command()
@handle_errors
def promote(
    name: str, version: int, tracking_uri: str | None = TrackingOpt, as_json: bool = JsonOpt
) -> None:
    """Make VERSION the champion (the replaced champion is remembered for rollback)."""
    out = _registry(tracking_uri).promote(name, version)
    emit(out, as_json)
    if not as_json:
        typer.echo(f"{name}: champion is now v{out['champion']} (was v{out['previous']})")


@app.command()
@handle_errors
def rollback(name: str, tracking_uri: str | None = TrackingOpt, as_json: bool = JsonOpt) -> None:
    """Move champion back to the version it replaced."""
    out = _registry(tracking_uri).rollback(name)
    emit(out, as_json)
    if not as_json:
        typer.echo(f"{name}: champion back to v{out['champion']} (from v{out['rolled_back_from']})")


@env_app.command("check")
@handle_errors
def env_check(
    model_uri: str, tracking_uri: str | None = TrackingOpt, as_json: bool = JsonOpt
) -> None:
    """Exit 1 when a package that changes numerics differs from the model's lock."""
    from textops.track import compare_env, default_tracking_uri, load_classifier

    _, lock = load_classifier(model_uri, tracking_uri or default_tracking_uri())
    report = compare_env(lock)
    if as_json:
        emit(report, True)
    else:
        for row in report["numeric_differences"]:
            typer.secho(
                f"DIFFERS {row['package']}: model {row['model']}, here {row['here']}",
                fg=typer.colors.RED,
            )
        typer.echo(
            f"{len(report['other_differences'])} other package differences; python "
            f"{report['python']['model']} -> {report['python']['here']}"
        )
        typer.echo(
            "OK: numerics-relevant packages match"
            if report["ok"]
            else "MISMATCH: predictions may differ from the ones measured at training"
        )
    if not report["ok"]:
        raise typer.Exit(EXIT_FAILED_CHECK)


def _read_table(path: Path) -> Any:
    import pyarrow.csv as pacsv
    import pyarrow.json as pajson
    import pyarrow.parquet as pq

    from textops.data import detect_format

    fmt = detect_format(path)
    if fmt == "parquet":
        return pq.read_table(path), fmt
    if fmt == "jsonl":
        return pajson.read_json(path), fmt
    delim = "\t" if fmt == "tsv" else ","
    return pacsv.read_csv(
        path, parse_options=pacsv.ParseOptions(delimiter=delim, newlines_in_values=True)
    ), fmt


def _write_table(table: Any, path: Path, fmt: str) -> None:
    import json

    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if fmt == "parquet":
        pq.write_table(table, path)
    elif fmt == "jsonl":
        with path.open("w", encoding="utf-8") as fh:
            for row in table.to_pylist():
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    else:
        pacsv.write_csv(
            table, path, write_options=pacsv.WriteOptions(delimiter="\t" if fmt == "tsv" else ",")
        )


@handle_errors
def predict(
    model_uri: Annotated[
        str,
        typer.Argument(
            help="models:/NAME@champion, models:/NAME/3, runs:/RUN_ID/model or a model folder."
        ),
    ],
    texts: Annotated[list[str] | None, typer.Argument(help="Texts to classify.")] = None,
    input_: Annotated[
        Path | None, typer.Option("--input", help="CSV/TSV/JSONL/Parquet file.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option(help="Write predictions here (same format).")
    ] = None,
    text_col: Annotated[str | None, typer.Option(help="Text column of --input.")] = None,
    tracking_uri: str | None = TrackingOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Classify texts given on the command line or in a file (adds label + proba_* columns)."""
    from textops.errors import ConfigError, DataFormatError
    from textops.track import default_tracking_uri, load_classifier

    if bool(texts) == bool(input_):
        raise ConfigError("give TEXT arguments or --input FILE (with --output FILE)")
    clf, _ = load_classifier(model_uri, tracking_uri or default_tracking_uri())
    if texts:
        proba = clf.predict_proba(texts)
        rows = [
            {
                "text": t,
                "label": clf.labels[int(p.argmax())],
                "probabilities": {lab: float(p[j]) for j, lab in enumerate(clf.labels)},
            }
            for t, p in zip(texts, proba, strict=True)
        ]
        if as_json:
            emit({"model_uri": model_uri, "predictions": rows}, True)
        else:
            for r in rows:
                typer.echo(f"{r['label']:>12} {r['probabilities'][r['label']]:.3f}  {r['text']}")
        return
    assert input_ is not None
    if output is None:
        raise ConfigError("--input needs --output FILE")
    import pyarrow as pa

    from textops.data._readers import TEXT_CANDIDATES

    table, fmt = _read_table(input_)
    col = text_col or next((c for c in table.column_names if c.lower() in TEXT_CANDIDATES), None)
    if col is None or col not in table.column_names:
        raise DataFormatError(
            f"{input_}: no text column among {table.column_names}; pass --text-col"
        )
    proba = clf.predict_proba([str(t) for t in table[col].to_pylist()])
    table = table.append_column("label", pa.array([clf.labels[i] for i in proba.argmax(axis=1)]))
    for j, lab in enumerate(clf.labels):
        table = table.append_column(f"proba_{lab}", pa.array(proba[:, j]))
    _write_table(table, output, fmt)
    report = {"model_uri": model_uri, "rows": table.num_rows, "output": str(output), "format": fmt}
    if as_json:
        emit(report, True)
    else:
        typer.echo(f"wrote {table.num_rows:,} predictions to {output}")
