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


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        stop.set()
        for conn in held:
            conn.close()
        sock.close()


def test_a_silent_server_times_out(silent_server: str, tmp_path: Path, home: Path) -> None:
    import time

    from textops.errors import DataFormatError

    spec = SourceSpec(path=f"{silent_server}/t.csv", timeout=1.5)
    t0 = time.monotonic()
    with pytest.raises(DataFormatError, match=r"timeout|cannot be read"):
        fetch_source(spec, 0, tmp_path, tmp_path / "s", home)
    assert time.monotonic() - t0 < 30
    assert not list((tmp_path / "s").glob("*.part"))


def test_a_url_source_over_its_size_cap_is_refused(
    http_dir: tuple[str, Path], tmp_path: Path, home: Path
) -> None:
    from textops.errors import DataFormatError

    base, folder = http_dir
    write_csv(folder / "big.csv", topic_rows(2000))
    spec = SourceSpec(path=f"{base}/big.csv", max_bytes=10_000)
    with pytest.raises(DataFormatError, match="max_bytes=10,000"):
        fetch_source(spec, 0, tmp_path, tmp_path / "s", home)
    assert list((tmp_path / "s").iterdir()) == []


def test_credentials_never_reach_mlflow_or_json(
    postgres_url: str, tmp_path: Path, home: Path
) -> None:
    """A SQL source's password (and a URL token, an S3 secret) stay out of the pipeline's
    logged config, its --json output and its state."""
    import json

    from typer.testing import CliRunner

    from tests.pipeline.conftest import fast, write_pipeline
    from textops.cli import app

    url = postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)
    host = url.split("://", 1)[1].split("@")[-1]
    secret_url = f"postgresql+psycopg://postgres:hunter2secret@{host}"
    _fill(url)
    path = write_pipeline(
        tmp_path,
        "name: creds\n"
        "sources:\n"
        f"  - sql: {{url: '{secret_url}', query: 'SELECT body, queue FROM tickets'}}\n"
        "    text_col: body\n"
        "    label_col: queue\n"
        "    storage_options: {key: AKIAHUNTER2, secret: hunter2s3}\n"
        "register: {model_name: creds}\n",
    )
    sets = [a for o in fast() for a in ("--set", o)]
    res = CliRunner().invoke(app, ["pipeline", "run", str(path), *sets, "--json"])
    assert res.exit_code == 0, res.output
    from textops.track import default_tracking_uri

    run_id = json.loads(res.stdout.strip().splitlines()[-1])["run_id"]
    import mlflow.artifacts

    local = mlflow.artifacts.download_artifacts(
        run_id=run_id, artifact_path="pipeline.json", tracking_uri=default_tracking_uri(home),
        dst_path=str(tmp_path / "dl"),
    )  # fmt: skip
    logged = Path(local).read_text()
    assert "hunter2" not in logged and "postgres:***@" in logged
    assert "hunter2" not in res.stdout
    state = (home / "pipelines" / "creds" / "state.json").read_text()
    assert "hunter2" not in state
    # and a validate of the same file prints no secret either
    res = CliRunner().invoke(app, ["pipeline", "validate", str(path), "--json"])
    assert "hunter2" not in res.stdout


def test_redact_masks_urls_and_secret_fields() -> None:
    from textops._redact import redact, redact_text

    assert redact_text("postgresql://u:pw@h:5/db") == "postgresql://u:***@h:5/db"
    assert (
        redact_text("https://h/a.csv?x=1&token=abc&sig=zz")
        == "https://h/a.csv?x=1&token=***&sig=***"
    )
    out = redact({"storage_options": {"key": "AK", "secret": "S", "endpoint_url": "http://h"},
                  "api_key_env": "VAR", "password": "p", "texts": ["see ?token=x"]})  # fmt: skip
    assert out == {
        "storage_options": {"key": "***", "secret": "***", "endpoint_url": "http://h"},
        "api_key_env": "VAR",
        "password": "***",
        "texts": ["see ?token=x"],
    }
