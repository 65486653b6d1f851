"""The ``textops`` command. Sub-commands import their heavy dependencies only when they run."""

from __future__ import annotations

import typer

from textops.cli import (
    _assess,
    _audit,
    _build,
    _cache,
    _data,
    _embed,
    _explain,
    _export,
    _finetune,
    _gen,
    _models,
    _monitor,
    _pipeline,
    _retrain,
    _review,
    _search,
    _serve,
    _stats,
    _tracking,
)

app = typer.Typer(
    rich_markup_mode=None,
    name="textops",
    help="Build, serve and operate text classifiers. State lives in ./.textops "
    "(set TEXTOPS_HOME to move it).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
_data.app.command("audit")(_audit.audit)
app.add_typer(_data.app, name="data")
app.add_typer(_cache.app, name="cache")
app.command("embed")(_embed.embed)
app.command("embedders")(_embed.embedders)
app.command("search")(_search.search)
app.command("finetune")(_finetune.finetune)
app.add_typer(_models.app, name="models")
app.add_typer(_gen.app, name="gen")
app.add_typer(_models.env_app, name="env")
app.command("predict")(_models.predict)
app.command("explain")(_explain.explain)
app.command("stats")(_stats.stats)
app.command("assess")(_assess.assess)
app.command("serve")(_serve.serve)
app.add_typer(_export.app, name="export")
app.add_typer(_monitor.app, name="monitor")
app.add_typer(_pipeline.app, name="pipeline")
app.add_typer(_build.app, name="build")
app.command("retrain")(_retrain.retrain)
app.command("review")(_review.review)
app.command("tracking-server")(_tracking.tracking_server)


@app.command()
def version() -> None:
    """Print the textops version."""
    from textops._version import __version__

    typer.echo(__version__)


def main() -> None:
    import os

    # OpenMP threads that wait by spinning hold cores another process needs: beside a second
    # encode, MiniLM ran at a third of the rate it keeps when they sleep (bench/busy.py). Set
    # before torch loads; a user's own setting wins
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    app()
