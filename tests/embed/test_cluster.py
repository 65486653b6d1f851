"""`textops embed --cluster`: workers of a real Dask cluster on 127.0.0.1 fill the cache, and
the vectors equal the local path's."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from textops.cli import app

pytest.importorskip("distributed")
runner = CliRunner()


def _vectors(home: Path, embedder: str) -> np.ndarray:
    from textops.data import DatasetStore
    from textops.embed import embed_dataset, make_embedder

    result = embed_dataset(DatasetStore(home).get("topics"), make_embedder(embedder), home=home)
    assert result.misses == 0  # read back from the cache
    return np.asarray(result.vectors)


def test_cluster_embedding_equals_the_local_path(
    topics, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    res = runner.invoke(
        app, ["embed", "topics", "--embedder", "static", "--cluster", "local:2", "--json"]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["cluster"]["workers"] == 2 and out["cluster"]["encoded"] == out["rows"] == 300
    assert out["cluster"]["partitions"] == 2  # one per worker, not one of 300 and an idle one
    assert out["cluster"]["address"].startswith("tcp://127.0.0.1:")
    assert out["cache_misses"] == 0  # every vector came from the workers' cache writes
    on_cluster = _vectors(home, "static")

    local_home = tmp_path / "local"
    monkeypatch.setenv("TEXTOPS_HOME", str(local_home))
    from tests.conftest import topic_rows
    from textops.data import MemorySource, ingest

    ingest([MemorySource("topics", topic_rows())], "topics", home=local_home)
    res = runner.invoke(app, ["embed", "topics", "--embedder", "static", "--json"])
    assert res.exit_code == 0, res.output
    np.testing.assert_array_equal(on_cluster, _vectors(local_home, "static"))


def test_a_second_cluster_run_has_nothing_to_encode(topics, home: Path) -> None:  # type: ignore[no-untyped-def]
    from textops.data import DatasetStore
    from textops.embed import EmbeddingCache, cluster_client, fill_cache_on_cluster

    texts = DatasetStore(home).get("topics").texts()
    with cluster_client("local:1") as client:
        first = fill_cache_on_cluster(
            "fake", {}, texts, EmbeddingCache(home=home), client, partition_rows=64
        )
        again = fill_cache_on_cluster("fake", {}, texts, EmbeddingCache(home=home), client)
    assert first.partitions == 5 and first.encoded == 300
    assert again.partitions == 0 and again.encoded == 0


@pytest.mark.parametrize(
    ("n", "workers", "size", "parts"),
    [(657, 2, 329, 2), (5000, 3, 834, 6), (3000, 1, 1000, 3), (10, 4, 16, 1), (2048, 2, 1024, 2)],
)
def test_partitions_are_sized_to_the_workers(n: int, workers: int, size: int, parts: int) -> None:
    from textops.embed._cluster import partition_size

    got = partition_size(n, workers)
    assert got == size and -(-n // got) == parts


def test_bad_cluster_spec_says_what_to_write() -> None:
    res = runner.invoke(app, ["embed", "topics", "--cluster", "dask"])
    assert res.exit_code == 2 and "local:N" in res.output


def test_search_reads_a_cluster_filled_cache(topics, home: Path) -> None:  # type: ignore[no-untyped-def]
    """A team embeds once on the cluster and searches anywhere: nothing left to encode."""
    res = runner.invoke(app, ["embed", "topics", "--embedder", "static", "--cluster", "local:2"])
    assert res.exit_code == 0, res.output
    from textops.search import SearchConfig, run_search
    from textops.track import MemoryTracker

    cfg = SearchConfig(
        dataset="topics",
        embedders=("static",),
        heads=("logreg",),
        trials=2,
        cv_folds=3,
        register_model=False,
    )
    report = run_search(cfg, home=home, tracker=MemoryTracker(), show_progress=False)
    (plan,) = report.embedders
    assert plan.cached == 300 and plan.missing == 0
