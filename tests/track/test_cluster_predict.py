"""`textops predict --input BIG --cluster local:2`: partitions predicted by the workers of a
real Dask cluster on 127.0.0.1, the output equal to the local path's."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import Registered, topic_rows
from textops.cli import app

pytest.importorskip("distributed")


def test_cluster_predict_equals_local(
    registered: Registered, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    monkeypatch.setenv("TEXTOPS_HOME", str(registered.home))
    rows = topic_rows(5000, seed=7)
    pq.write_table(
        pa.table({"id": list(range(len(rows))), "text": [t for t, _ in rows]}),
        tmp_path / "big.parquet",
    )
    runner = CliRunner()
    base = [
        "predict",
        f"models:/{registered.name}@champion",
        "--input",
        str(tmp_path / "big.parquet"),
        "--tracking-uri",
        registered.tracking_uri,
    ]
    local = runner.invoke(app, [*base, "--output", str(tmp_path / "local.parquet")])
    assert local.exit_code == 0, local.output
    spread = runner.invoke(
        app, [*base, "--output", str(tmp_path / "dask.parquet"), "--cluster", "local:2"]
    )
    assert spread.exit_code == 0, spread.output
    a, b = pq.read_table(tmp_path / "local.parquet"), pq.read_table(tmp_path / "dask.parquet")
    assert a.column_names == b.column_names and a.num_rows == b.num_rows == 5000
    assert a.column("predicted_label").to_pylist() == b.column("predicted_label").to_pylist()
    for name in a.column_names:
        if name.startswith("proba_"):
            diff = max(
                abs(x - y)
                for x, y in zip(a.column(name).to_pylist(), b.column(name).to_pylist(), strict=True)
            )
            assert diff < 1e-9, name
