"""Sources beyond local files, each against a real server on 127.0.0.1: HTTP, an
S3-compatible store (moto in server mode), SQLite and PostgreSQL, a stored dataset."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import topic_rows
from tests.pipeline.conftest import write_csv
from textops.data import DatasetStore
from textops.pipeline import SourceSpec
from textops.pipeline._sources import fetch_source


@pytest.fixture
def http_dir(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    folder = tmp_path / "www"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", folder
    finally:
        server.shutdown()


def _ingest(specs: list[SourceSpec], tmp_path: Path, home: Path):  # type: ignore[no-untyped-def]
    from textops.data import ingest

    fetched = [fetch_source(s, i, tmp_path, tmp_path / "staged", home) for i, s in enumerate(specs)]
    sources = [f.file_source(s.encoding) for f, s in zip(fetched, specs, strict=True)]
    return fetched, ingest(sources, "src", home=home, show_progress=False)


def test_http_source_and_its_hash(http_dir: tuple[str, Path], tmp_path: Path, home: Path) -> None:
    base, folder = http_dir
    write_csv(folder / "t.csv", topic_rows(90))
    spec = SourceSpec(path=f"{base}/t.csv", text_col="body", label_col="queue")
    fetched, ds = _ingest([spec], tmp_path, home)
    assert len(ds.texts()) == 90 and fetched[0].origin.endswith("/t.csv")
    again = fetch_source(spec, 0, tmp_path, tmp_path / "staged2", home)
    assert again.sha256 == fetched[0].sha256
    write_csv(folder / "t.csv", topic_rows(91))
    assert fetch_source(spec, 0, tmp_path, tmp_path / "staged3", home).sha256 != fetched[0].sha256


def test_http_source_missing_says_so(
    http_dir: tuple[str, Path], tmp_path: Path, home: Path
) -> None:
    from textops.errors import DataFormatError

    with pytest.raises(DataFormatError, match="cannot be read"):
        fetch_source(SourceSpec(path=f"{http_dir[0]}/nope.csv"), 0, tmp_path, tmp_path / "s", home)


def test_s3_source_with_credentials_from_the_environment(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("s3fs")
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        for key, value in {
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
        }.items():
            monkeypatch.setenv(key, value)
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="tickets")
        body = write_csv(tmp_path / "up.csv", topic_rows(60)).read_bytes()
        s3.put_object(Bucket="tickets", Key="daily/2026-12-06.csv", Body=body)
        spec = SourceSpec(
            path="s3://tickets/daily/2026-12-06.csv", text_col="body", label_col="queue"
        )
        _, ds = _ingest([spec], tmp_path, home)
        assert len(ds.texts()) == 60
    finally:
        server.stop()


def _fill(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS tickets"))
        conn.execute(sa.text("CREATE TABLE tickets (id integer, body text, queue text, day text)"))
        conn.execute(
            sa.text("INSERT INTO tickets VALUES (:id, :body, :queue, :day)"),
            [
                {"id": i, "body": t, "queue": lab, "day": "old" if i < 30 else "new"}
                for i, (t, lab) in enumerate(topic_rows(80))
            ],
        )
    engine.dispose()


def test_sql_source_sqlite(tmp_path: Path, home: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tickets.db'}"
    _fill(url)
    spec = SourceSpec(
        sql={"url": url, "query": "SELECT id, body, queue FROM tickets WHERE day = 'new'"},
        text_col="body",
        label_col="queue",
        id_col="id",
    )
    fetched, ds = _ingest([spec], tmp_path, home)
    assert len(ds.texts()) == 50 and fetched[0].origin.startswith("sql:")


def test_sql_source_postgres(postgres_url: str, tmp_path: Path, home: Path) -> None:
    url = (
        postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)
        if postgres_url.startswith("postgresql://")
        else postgres_url
    )
    _fill(url)
    spec = SourceSpec(
        sql={"url": url, "query": "SELECT body, queue FROM tickets"},
        text_col="body",
        label_col="queue",
    )
    _, ds = _ingest([spec], tmp_path, home)
    assert len(ds.texts()) == 80


def test_bad_query_names_the_problem(tmp_path: Path, home: Path) -> None:
    from textops.errors import DataFormatError

    spec = SourceSpec(sql={"url": f"sqlite:///{tmp_path / 'x.db'}", "query": "SELECT * FROM nope"})
    with pytest.raises(DataFormatError, match=r"sql.query failed.*nope"):
        fetch_source(spec, 0, tmp_path, tmp_path / "s", home)


def test_dataset_source_keeps_rows_and_their_splits(topics, tmp_path: Path, home: Path) -> None:  # type: ignore[no-untyped-def]
    extra = tmp_path / "more.csv"
    write_csv(extra, [(f"brand new text about the match {i}", "sport") for i in range(5)])
    specs = [
        SourceSpec(dataset="topics"),
        SourceSpec(path=str(extra), text_col="body", label_col="queue"),
    ]
    _, ds = _ingest(specs, tmp_path, home)
    old = DatasetStore(home).get("topics", topics.version)
    assert len(ds.texts()) == len(old.texts()) + 5
    # a text keeps its split (the split is a hash of the text)
    assert set(old.texts("test")) <= set(ds.texts("test"))
    assert set(old.texts("train")) <= set(ds.texts("train"))
