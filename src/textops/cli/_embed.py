"""``textops embed`` and ``textops embedders``."""

from __future__ import annotations

from typing import Annotated

import typer

from textops.cli._common import JsonOpt, emit, handle_errors, parse_params


@handle_errors
def embed(
    name: Annotated[str, typer.Argument(help="Dataset name (see `textops data list`).")],
    embedder: Annotated[
        str, typer.Option(help="Embedder key (see `textops embedders`).")
    ] = "minilm",
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="Embedder parameter key=value, e.g. -p device=auto."),
    ] = None,
    version: Annotated[str | None, typer.Option(help="Dataset version (default: latest).")] = None,
    as_json: bool = JsonOpt,
) -> None:
    """Embed every row of a dataset through the cache: only texts not cached yet are encoded."""
    from textops.data import DatasetStore
    from textops.embed import embed_dataset, make_embedder

    ds = DatasetStore().get(name, version)
    emb = make_embedder(embedder, **parse_params(param or []))
    result = embed_dataset(ds, emb)
    shape = getattr(result.vectors, "shape", (0, 0))
    report = {
        "dataset": ds.name,
        "version": ds.version,
        "embedder": embedder,
        "rows": int(shape[0]),
        "dim": int(shape[1]) if len(shape) > 1 else None,
        "cache_hits": result.hits,
        "cache_misses": result.misses,
        "cached": emb.cacheable,
        "space": result.space,
        "seconds": round(result.seconds, 3),
    }
    if as_json:
        emit(report, True)
        return
    note = "" if emb.cacheable else " (not cached: this backend is fitted per dataset)"
    typer.echo(
        f"{ds.name}@{ds.version} with {embedder}: {report['rows']:,} rows, dim "
        f"{report['dim']}, cache hits {result.hits:,}, misses {result.misses:,}, "
        f"{result.seconds:.2f}s{note}"
    )


@handle_errors
def embedders(as_json: bool = JsonOpt) -> None:
    """List the embedding backends (the EMBEDDERS table) with their defaults."""
    from textops.embed import EMBEDDERS

    rows = [
        {
            "key": k,
            "class": s.cls.__name__,
            "params": dict(s.params),
            "description": s.description,
            "cacheable": s.cls.cacheable,
        }
        for k, s in EMBEDDERS.items()
    ]
    if as_json:
        emit({"embedders": rows}, True)
        return
    for r in rows:
        typer.echo(f"{r['key']:11} {r['description']}")
