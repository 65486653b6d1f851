"""``textops build image``: a container build context for a registered model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from textops.cli._common import JsonOpt, TrackingOpt, emit, handle_errors

app = typer.Typer(
    rich_markup_mode=None,
    help="Build deployable artefacts (container images).",
    no_args_is_help=True,
)


@app.command("image")
@handle_errors
def image(
    model_uri: Annotated[str, typer.Argument(help="models:/NAME@champion, models:/NAME/3, ...")],
    output: Annotated[Path, typer.Option(help="Folder to write the build context into.")] = Path(
        "image"
    ),
    gpu: Annotated[
        bool, typer.Option(help="A CUDA training image (textops as entry point), not serving.")
    ] = False,
    base: Annotated[
        str | None, typer.Option(help="Base image (default: a pinned python slim / CUDA tag).")
    ] = None,
    tracking_uri: str | None = TrackingOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Write a build context: Dockerfile (pinned base, the model's locked package versions,
    non-root user, health check on /readyz), the model folder and a textops wheel. Build it
    with `docker build -t NAME DIR`, `podman build` or `buildah bud`.

    Example: textops build image models:/tickets@champion --output image/"""
    from textops.serve import write_build_context
    from textops.track import default_tracking_uri

    ctx = write_build_context(
        model_uri, output, tracking_uri or default_tracking_uri(), gpu=gpu, base=base
    )
    if as_json:
        emit(ctx.as_json(), True)
        return
    typer.echo(
        f"wrote a {ctx.kind} build context to {ctx.path} (base {ctx.base}, "
        f"{len(ctx.files)} files); build: docker build -t textops-model {ctx.path}"
    )
