"""``textops cache ...``: stats, rates, verify, prune."""

from __future__ import annotations

from typing import Annotated

import typer

from textops.cli._common import EXIT_FAILED_CHECK, JsonOpt, emit, handle_errors

app = typer.Typer(
    rich_markup_mode=None,
    help="Inspect, verify and prune the embedding cache.",
    no_args_is_help=True,
)


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


@app.command()
@handle_errors
def rates(
    reset: Annotated[
        bool, typer.Option("--reset", help="Forget every rate remembered on this machine.")
    ] = False,
    as_json: bool = JsonOpt,
) -> None:
    """The encode rates searches plan with: per embedder, the median of its last measurements
    on this machine (a rate timed while the machine was busy can be tens of times too slow;
    measurements age out after 30 days). --reset forgets them: the next search times again."""
    import time
    from dataclasses import asdict

    from textops.embed import EmbeddingCache

    cache = EmbeddingCache()
    if reset:
        n = cache.rates.reset()
        emit({"reset": n}, as_json)
        if not as_json:
            typer.echo(f"forgot the encode rates of {n} embedder(s) on this machine")
        return
    names = {s.id: s.stats().embedder for s in cache.spaces()}
    found = cache.rates.all()
    if as_json:
        rows = [{"space": sid, "embedder": names.get(sid, "?"), **asdict(r)}
                for sid, r in found.items()]  # fmt: skip
        emit({"machine": cache.rates.machine, "rates": rows}, True)
        return
    if not found:
        typer.echo("no encode rate remembered on this machine yet (a search times them)")
        return
    for sid, r in found.items():
        age = (time.time() - r.measured_at) / 86400
        typer.echo(
            f"{names.get(sid, sid[:12]):40} {r.texts_per_s:>9.1f} texts/s  load {r.load_s:.2f}s"
            f"  ({r.count} measurement(s), newest {age:.1f} days ago)"
        )


@app.command()
@handle_errors
def stats(as_json: bool = JsonOpt) -> None:
    """Entries, shards, size and damaged shards of every cache space."""
    from textops.embed import EmbeddingCache

    report = EmbeddingCache().stats()
    if as_json:
        emit(report.as_json(), True)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("space", "embedder", "dim", "entries", "shards", "damaged", "size")
    for s in report.spaces:
        table.add_row(
            s.space[:12],
            s.embedder,
            str(s.dim),
            f"{s.entries:,}",
            str(s.shards),
            str(s.damaged_shards),
            _mb(s.bytes),
        )
    console = Console()
    console.print(table)
    console.print(
        f"{report.entries:,} embeddings, {_mb(report.bytes)} in {report.root}"
        f" ({report.bytes_per_embedding} bytes per embedding)"
    )


@app.command()
@handle_errors
def verify(
    sample: Annotated[int, typer.Option(help="Texts to re-encode per cache space.")] = 64,
    atol: Annotated[float, typer.Option(help="Largest allowed absolute difference.")] = 1e-4,
    min_cosine: Annotated[float, typer.Option(help="Smallest allowed cosine similarity.")] = 0.9999,
    seed: Annotated[int | None, typer.Option(help="Seed of the random sample.")] = None,
    space: Annotated[str | None, typer.Option(help="Only the space whose id starts so.")] = None,
    as_json: bool = JsonOpt,
) -> None:
    """Re-encode a random sample and compare with the cache; exit 1 beyond tolerance.

    Also checks every shard's checksum: a damaged shard is reported and set aside so its entries
    are recomputed on the next embed.
    """
    from textops.embed import verify_cache

    report = verify_cache(sample=sample, atol=atol, min_cosine=min_cosine, seed=seed, space=space)
    if as_json:
        emit(report.as_json(), True)
    else:
        for s in report.spaces:
            line = f"{s.space[:12]} {s.backend:36} {s.status:9}"
            if s.checked is not None:
                device = (s.environment or {}).get("device")
                line += (
                    f" n={s.checked} max|diff|={s.max_abs_diff:.2e} "
                    f"min cos={s.min_cosine:.6f} on {device}"
                )
            else:
                line += f" {s.detail or ''}"
            typer.echo(line)
        for why in report.damaged_shards_found:
            typer.secho(f"damaged shard set aside: {why}", fg=typer.colors.YELLOW, err=True)
        env = report.environment
        typer.echo(
            f"environment: python {env['python']}, torch {env.get('torch')}, "
            f"numpy {env.get('numpy')}, {env['platform']}"
        )
        typer.echo("OK" if report.ok else "MISMATCH beyond tolerance")
    if not report.ok:
        raise typer.Exit(EXIT_FAILED_CHECK)


@app.command()
@handle_errors
def prune(
    older_than: Annotated[
        float | None,
        typer.Option(help="Also delete spaces unused for this many days (0 deletes every space)."),
    ] = None,
    compact: Annotated[bool, typer.Option(help="Merge each space's shards into one.")] = True,
    as_json: bool = JsonOpt,
) -> None:
    """Delete damaged shards and stale temp files, compact shards, drop unused spaces."""
    from textops.embed import EmbeddingCache

    report = EmbeddingCache().prune(older_than_days=older_than, compact=compact)
    if as_json:
        emit(report.as_json(), True)
        return
    typer.echo(
        f"removed {report.removed_damaged} damaged shards, {report.removed_tmp} temp "
        f"files, {len(report.removed_spaces)} spaces; merged "
        f"{report.compacted_shards} shards; {_mb(report.bytes_before)} -> "
        f"{_mb(report.bytes_after)}"
    )
