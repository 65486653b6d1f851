"""``textops models ...``, ``textops env check`` and ``textops predict``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from textops.cli._common import EXIT_FAILED_CHECK, JsonOpt, TrackingOpt, emit, handle_errors

app = typer.Typer(
    rich_markup_mode=None,
    help="The model registry: versions, champion/challenger aliases, rollback.",
    no_args_is_help=True,
)
env_app = typer.Typer(
    rich_markup_mode=None,
    help="Compare this environment with a model's environment lock.",
    no_args_is_help=True,
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
        emit({"models": [r.as_json() for r in rows]}, True)
        return
    for r in rows:
        typer.echo(f"{r.name:24} champion v{r.champion}  aliases {r.aliases}")
    if not rows:
        typer.echo("no registered models yet: run `textops search DATASET`")


@app.command()
@handle_errors
def show(name: str, tracking_uri: str | None = TrackingOpt, as_json: bool = JsonOpt) -> None:
    """Every version of a model: aliases, test macro-F1, embedder, head, dataset."""
    rows = _registry(tracking_uri).versions(name)
    if as_json:
        emit({"name": name, "versions": [r.as_json() for r in rows]}, True)
        return
    for r in rows:
        t = r.tags
        typer.echo(
            f"v{r.version:<3} {','.join(r.aliases) or '-':18} "
            f"test macro-F1 {float(t.get('textops.test_macro_f1', 'nan')):.4f}  "
            f"{t.get('textops.embedder')} + {t.get('textops.head')}  "
            f"{t.get('textops.dataset', '')}"
        )


def _test_split(registry: Any, name: str, version: int, dataset: str | None) -> Any:
    """The test split of ``dataset`` (NAME or NAME@VERSION; default: the one ``version`` was
    scored on) as the rows a gated promotion compares the two models on (None: a generator,
    or no other champion to compare with: nothing to predict)."""
    from textops.data import DatasetStore
    from textops.errors import ConfigError
    from textops.track import HeldOut

    info = next((v for v in registry.versions(name) if v.version == version), None)
    champion = registry.champion(name)
    if info is None or info.tags.get("textops.kind") == "generator":
        return None
    if champion is None or champion.version == version:  # nothing to compare with
        return None
    ref = dataset or info.tags.get("textops.dataset")
    if not ref:
        raise ConfigError(
            f"v{version} does not record its dataset; pass --dataset NAME to compare on its "
            "test split"
        )
    ds_name, _, ds_version = ref.partition("@")
    ds = DatasetStore().get(ds_name, ds_version or None)
    texts, labels = ds.texts("test"), ds.labels("test")
    if not texts:
        raise ConfigError(f"dataset {ref} has no test split to compare the models on")
    return HeldOut(texts, labels)


GateOpt = typer.Option(
    help="none: promote unconditionally; better: only with a higher test macro-F1 than the "
    "champion's on the same test split; significant: only when --gate-test says it is better "
    "at --alpha."
)
GateTestOpt = typer.Option(
    help="The paired test of --gate significant: mcnemar (rows only one model gets right) or "
    "bootstrap (paired bootstrap of the macro-F1 difference, one-sided)."
)
AlphaOpt = typer.Option(help="Significance level of --gate significant.")


@app.command()
@handle_errors
def promote(
    name: str,
    version: int,
    gate: Annotated[str, GateOpt] = "better",
    gate_test: Annotated[str, GateTestOpt] = "mcnemar",
    alpha: Annotated[float, AlphaOpt] = 0.05,
    dataset: Annotated[
        str | None,
        typer.Option(
            help="Dataset (NAME or NAME@VERSION) whose test split both models are scored on "
            "(default: the one VERSION was scored on)."
        ),
    ] = None,
    tracking_uri: str | None = TrackingOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Make VERSION the champion when --gate lets it replace the current champion (the
    replaced champion is remembered for rollback). The decision, its test, p-value and counts
    are written to the version's tags and its MLflow run; a refusal exits with 1."""
    from pydantic import ValidationError

    from textops._json import to_json
    from textops.errors import ConfigError
    from textops.track import Gate, default_tracking_uri

    try:
        g = Gate(mode=gate, test=gate_test, alpha=alpha)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = {"mode": "gate", "test": "gate-test"}.get(str(first["loc"][0]), first["loc"][0])
        raise ConfigError(f"--{field}: {first['msg']}") from None
    uri = tracking_uri or default_tracking_uri()
    registry = _registry(uri)
    test = None if g.mode == "none" else _test_split(registry, name, version, dataset)
    decision, change = registry.promote_gated(name, version, g, test)
    emit(
        {
            "name": name,
            "version": version,
            "promoted": decision.promote,
            "champion": change.champion if change else None,
            "previous": change.previous if change else None,
            "gate": to_json(decision),
        },
        as_json,
    )
    if not as_json:
        if change is not None:
            typer.echo(
                f"{name}: champion is now v{change.champion} (was v{change.previous}): "
                f"{decision.reason}"
            )
        else:
            typer.echo(f"{name}: v{version} not promoted: {decision.reason}")
    if not decision.promote:
        raise typer.Exit(EXIT_FAILED_CHECK)


@app.command()
@handle_errors
def rollback(name: str, tracking_uri: str | None = TrackingOpt, as_json: bool = JsonOpt) -> None:
    """Move champion back to the version it replaced."""
    out = _registry(tracking_uri).rollback(name)
    emit(out.as_json(rollback=True), as_json)
    if not as_json:
        typer.echo(f"{name}: champion back to v{out.champion} (from v{out.previous})")


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
        emit(report.as_json(), True)
    else:
        for row in report.numeric_differences:
            typer.secho(
                f"DIFFERS {row.package}: model {row.model}, here {row.here}",
                fg=typer.colors.RED,
            )
        typer.echo(
            f"{len(report.other_differences)} other package differences; python "
            f"{report.python[0]} -> {report.python[1]}"
        )
        typer.echo(
            "OK: numerics-relevant packages match"
            if report.ok
            else "MISMATCH: predictions may differ from the ones measured at training"
        )
    if not report.ok:
        raise typer.Exit(EXIT_FAILED_CHECK)


def _looks_like_a_table(text: str) -> bool:
    """A TEXT argument that names an existing data file (``predict MODEL data.csv``): the
    user meant --input, and would otherwise get one prediction for the file's name."""
    from pathlib import Path

    from textops.data import TABLE_EXTENSIONS

    name = text.strip().lower().removesuffix(".gz")
    if "\n" in text or not name.endswith(TABLE_EXTENSIONS):
        return False
    try:
        return Path(text).is_file()
    except OSError:
        return False


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
    encoding: Annotated[
        str,
        typer.Option(
            help="Encoding of --input. 'auto': a Unicode file as it is, any other in the "
            "encoding the model's training files had (the same bytes give the same text)."
        ),
    ] = "auto",
    prefix: Annotated[
        str,
        typer.Option(
            help="Prefix of the added columns (predicted_label, proba_<label>), for a file "
            "that already has them."
        ),
    ] = "",
    cluster: Annotated[
        str | None,
        typer.Option(
            help="Predict --input on Dask: local:N (N worker processes on 127.0.0.1) or "
            "tcp://HOST:PORT; each worker loads the model once and predicts partitions."
        ),
    ] = None,
    tracking_uri: str | None = TrackingOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Classify texts given on the command line or in a file. A file gets the columns
    predicted_label and proba_<label> appended; every input column is kept as it was, and a
    name that already exists is refused (use --prefix)."""
    from textops.errors import ConfigError
    from textops.track import default_tracking_uri, load_classifier

    if bool(texts) == bool(input_):
        raise ConfigError("give TEXT arguments or --input FILE (with --output FILE)")
    files = [t for t in texts or [] if _looks_like_a_table(t)]
    if files:
        raise ConfigError(
            f"{files[0]} is a file: to classify its rows, pass --input {files[0]} "
            "(with --output FILE); TEXT arguments are classified as they are"
        )
    blank = [i for i, t in enumerate(texts or [], start=1) if not t.strip()]
    if blank:
        raise ConfigError(
            f"text argument(s) {blank} are empty or only whitespace: a blank text gets no "
            "prediction; give a text"
        )
    if cluster is not None:
        from textops.embed import parse_cluster

        parse_cluster(cluster)
        if texts:
            raise ConfigError("--cluster predicts an --input file; TEXT arguments run here")
    clf, _ = load_classifier(model_uri, tracking_uri or default_tracking_uri())
    if texts:
        from textops._text import decode_escaped

        # bytes the terminal's locale could not decode arrive surrogate-escaped: cp1252
        texts = [decode_escaped(t)[0] for t in texts]
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
            for t, p in zip(texts, proba, strict=True):
                label = clf.labels[int(p.argmax())]
                typer.echo(f"{label:>12} {float(p.max()):.3f}  {t}")
        return
    assert input_ is not None
    if output is None:
        raise ConfigError("--input needs --output FILE")
    from textops.model import predict_file

    if cluster is None:
        done = predict_file(
            clf, input_, output, text_col=text_col, prefix=prefix, encoding=encoding
        )
    else:
        from textops.embed import cluster_client
        from textops.track import predict_on_cluster

        uri = tracking_uri or default_tracking_uri()
        with cluster_client(cluster) as client:
            done = predict_file(
                clf,
                input_,
                output,
                text_col=text_col,
                prefix=prefix,
                predict_proba=lambda ts: predict_on_cluster(model_uri, uri, ts, client),
                encoding=encoding,
            )
    report = {"model_uri": model_uri, **done.as_json()}
    if as_json:
        emit(report, True)
        return
    if done.encoding is not None:
        why = f" ({done.encoding_note})" if done.encoding_note else ""
        typer.secho(
            f"read {input_.name} as {done.encoding}{why}"
            + ("" if done.encoding_confident else "; pass --encoding if its texts look wrong"),
            err=True,
            fg=None if done.encoding_confident else typer.colors.YELLOW,
        )
    typer.echo(
        f"wrote {done.predicted:,} predictions ({report['rows']:,} rows) to {output} "
        f"({', '.join(report['columns'])})"
    )
    for key, what in (
        ("rows_without_text", "had no text (empty or blank): no prediction"),
        ("rows_invalid_text", "had invalid Unicode (predicted with U+FFFD in its place)"),
    ):
        if report[key]:
            typer.secho(f"{report[key]:,} rows {what}", err=True, fg=typer.colors.YELLOW)
