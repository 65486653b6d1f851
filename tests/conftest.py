from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh TEXTOPS_HOME for one test."""
    path = tmp_path / "home"
    monkeypatch.setenv("TEXTOPS_HOME", str(path))
    return path


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _pg_bindir() -> Path | None:
    import shutil

    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    dirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    return dirs[-1] if dirs else None


@pytest.fixture(scope="session")
def postgres_url():  # type: ignore[no-untyped-def]
    """A real PostgreSQL server on 127.0.0.1 for this test session (stopped afterwards)."""
    import shutil
    import socket
    import subprocess
    import tempfile

    bindir = _pg_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail(
                "PostgreSQL is not installed; .ci/run installs it (apt-get install postgresql)"
            )
        pytest.skip("PostgreSQL is not installed: apt-get install postgresql")
    root = Path(tempfile.mkdtemp(prefix="textops-pg-"))
    root.chmod(0o755)
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(root, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = root / "data"
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *prefix,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(root / "log"),
            "-o",
            f"-h 127.0.0.1 -p {port} -k {root}",
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute("CREATE DATABASE textops")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/textops"
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


TOPICS = {
    "sport": "match goal team score league coach player season win cup",
    "money": "bank loan rate price market stock invoice payment tax fund",
    "tech": "software laptop code server cloud chip phone app update data",
}


def topic_rows(n: int = 300, seed: int = 0) -> list[tuple[str, str]]:
    """Small, learnable (but not trivial) labelled texts for search tests."""
    import random

    rng = random.Random(seed)
    words = {k: v.split() for k, v in TOPICS.items()}
    common = ["the", "a", "today", "really", "new", "big", "about", "again", "please"]
    rows = []
    for i in range(n):
        label = list(TOPICS)[i % 3]
        other = list(TOPICS)[(i + 1) % 3]
        text = rng.sample(words[label], 3) + rng.sample(words[other], 1) + rng.sample(common, 3)
        rng.shuffle(text)
        rows.append((" ".join(text) + f" {i}", label))
    return rows


@pytest.fixture
def topics(home: Path):  # type: ignore[no-untyped-def]
    """A 300-row, 3-label dataset named 'topics' in a fresh home."""
    from textops.data import MemorySource, ingest

    return ingest([MemorySource("topics", topic_rows())], "topics", home=home)
