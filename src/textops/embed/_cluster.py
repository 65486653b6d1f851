"""Embedding on a Dask cluster (``dask.distributed``): the texts the cache lacks are cut into
partitions, each worker encodes its partitions and writes them into the same content-addressed
cache (shards are written atomically, so concurrent writers are safe), and the caller then
reads every vector from the cache exactly as the local path does: the same vectors, whichever
worker made them.

``local:N`` starts N single-threaded worker processes on 127.0.0.1 (one per core is what
scales: a torch encoder on one thread per process avoids the threads fighting over cores);
``tcp://HOST:PORT`` joins a running scheduler, whose workers must see the same home (a shared
filesystem) and have textops installed.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textops.embed._base import Embedder
from textops.embed._cache import EmbeddingCache
from textops.embed._encode import encode_texts, text_keys
from textops.embed._registry import make_embedder
from textops.errors import ConfigError

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["ClusterRun", "cluster_client", "fill_cache_on_cluster", "parse_cluster"]

#: texts per partition: large enough to batch well on a worker, small enough to spread
PARTITION_ROWS = 1024

_WORKER_EMBEDDERS: dict[str, Embedder] = {}


@dataclass(frozen=True)
class ClusterRun:
    """What the cluster did: partitions encoded, texts encoded, workers used."""

    partitions: int
    encoded: int
    workers: int
    address: str


def parse_cluster(spec: str) -> tuple[str, int | str]:
    """``local:N`` -> ("local", N); ``tcp://host:port`` -> ("tcp", address)."""
    if spec.startswith("local:") and spec[6:].isdigit() and int(spec[6:]) >= 1:
        return "local", int(spec[6:])
    if spec.startswith("tcp://"):
        return "tcp", spec
    raise ConfigError(f"--cluster {spec!r}: use local:N (N worker processes) or tcp://HOST:PORT")


@contextlib.contextmanager
def cluster_client(spec: str) -> Iterator[Client]:
    """A ``distributed.Client`` for ``spec``; a local cluster is started on 127.0.0.1 and
    closed on exit."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ConfigError("--cluster needs Dask: pip install 'textops[dask]'") from exc
    kind, value = parse_cluster(spec)
    if kind == "tcp":
        with Client(str(value), timeout="20s") as client:
            yield client
        return
    cluster = LocalCluster(
        n_workers=int(value),
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=40,
    )
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()


def _encode_partition(
    key: str, params: dict[str, Any], texts: list[str], keys: list[bytes] | None, root: str
) -> int:
    """On a worker: encode one partition (texts the cache lacks) and write it as one shard;
    the embedder loads once per worker, and the cache's other shards are never read here."""
    ident = f"{key}:{sorted(params.items())}"
    emb = _WORKER_EMBEDDERS.get(ident)
    if emb is None:
        with contextlib.suppress(ImportError):
            import torch

            torch.set_num_threads(int(os.environ.get("TEXTOPS_WORKER_THREADS", "1")))
        emb = _WORKER_EMBEDDERS[ident] = make_embedder(key, **params)
    vectors = encode_texts(emb, texts, None, show_progress=False).vectors
    EmbeddingCache(root).space_for(emb).append(keys or text_keys(texts), vectors)
    return len(texts)


def partition_size(n: int, workers: int, most: int = PARTITION_ROWS, least: int = 16) -> int:
    """Texts per partition: at most ``most``, and a partition count that is a multiple of the
    workers, so that none sits idle while another encodes two (657 texts on 2 workers: two
    partitions of 329, not one of 657)."""
    if n <= 0:
        return most
    parts = -(-n // most)  # ceil
    workers = max(workers, 1)
    parts = -(-parts // workers) * workers
    return max(least, -(-n // parts))


def fill_cache_on_cluster(
    key: str,
    params: Mapping[str, object],
    texts: Sequence[str],
    cache: EmbeddingCache,
    client: Client,
    *,
    keys: Sequence[bytes] | None = None,
    partition_rows: int = PARTITION_ROWS,
    show_progress: bool | None = None,
) -> ClusterRun:
    """Encode on ``client``'s workers every text of ``texts`` the cache lacks."""
    from distributed import as_completed

    from textops._progress import progress

    emb = make_embedder(key, **params)
    if not emb.cacheable or emb.requires_fit:
        raise ConfigError(
            f"embedder {key!r} is fitted per dataset (not cacheable): embed it without --cluster"
        )
    all_keys = list(keys) if keys is not None else text_keys(list(texts))
    _, found = cache.space_for(emb).get(all_keys)
    todo: dict[bytes, str] = {}
    for i in (i for i, hit in enumerate(found) if not hit):
        todo.setdefault(all_keys[i], texts[i])
    items = list(todo.items())
    workers = len(client.scheduler_info().get("workers", {}))
    size = partition_size(len(items), workers, partition_rows)
    parts = [items[i : i + size] for i in range(0, len(items), size)]
    futures = [
        client.submit(
            _encode_partition,
            key,
            params,
            [t for _, t in part],
            [k for k, _ in part],
            str(Path(cache.root).resolve()),
            pure=False,
        )
        for part in parts
    ]
    encoded = 0
    with progress(f"embed on {workers} workers", len(items), show_progress) as bar:
        for future in as_completed(futures):
            n = int(future.result())
            encoded += n
            bar.advance(n)
    return ClusterRun(len(parts), encoded, workers, str(client.scheduler.address))
