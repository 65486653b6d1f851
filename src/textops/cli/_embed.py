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
    cluster: Annotated[
        str | None,
        typer.Option(
            help="Encode on Dask: local:N starts N single-threaded worker processes on "
            "127.0.0.1; tcp://HOST:PORT joins a running scheduler (its workers must share this "
            "home). Workers fill the same cache; the vectors equal the local path's."
        ),
    ] = None,
    as_json: bool = JsonOpt,
) -> None:
    """Embed every row of a dataset through the cache: only texts not cached yet are encoded."""
    from textops.data import DatasetStore
    from textops.embed import EmbeddingCache, embed_dataset, make_embedder

    if cluster is not None:
        from textops.embed import parse_cluster

        parse_cluster(cluster)  # a bad spec is an error before any work
    ds = DatasetStore().get(name, version)
    params = parse_params(param or [])
    emb = make_embedder(embedder, **params)
    run = None
    if cluster is not None:
        from textops.embed import cluster_client, fill_cache_on_cluster

        table = ds.table(["text", "text_sha256"])
        with cluster_client(cluster) as client:
            run = fill_cache_on_cluster(
                embedder,
                params,
                [str(t) for t in table["text"].to_pylist()],
                EmbeddingCache(),
                client,
                keys=table["text_sha256"].to_pylist(),
            )
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
    if run is not None:
        report["cluster"] = {
            "address": run.address,
            "workers": run.workers,
            "partitions": run.partitions,
            "encoded": run.encoded,
        }
    if as_json:
        emit(report, True)
        return
    note = "" if emb.cacheable else " (not cached: this backend is fitted per dataset)"
    if run is not None:
        typer.echo(
            f"cluster {run.address}: {run.workers} workers encoded {run.encoded:,} texts "
            f"in {run.partitions} partitions"
        )
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
