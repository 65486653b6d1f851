from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from textops._json import to_json

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


class PgServer:
    """A real PostgreSQL server in a temporary folder, on 127.0.0.1, that tests can stop,
    kill and start again (for outage tests)."""

    def __init__(self) -> None:
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
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="textops-pg-"))
        self.root.chmod(0o755)
        self.prefix: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            shutil.chown(self.root, "postgres", "postgres")
            self.prefix = ["runuser", "-u", "postgres", "--"]
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.data = self.root / "data"
        subprocess.run(
            [*self.prefix, str(bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U",
             "postgres"],
            check=True,
            capture_output=True,
        )  # fmt: skip
        self.start()
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute("CREATE DATABASE textops")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/textops"

    def _ctl(self, *args: str) -> None:
        import subprocess

        subprocess.run(
            [*self.prefix, str(self.bindir / "pg_ctl"), "-D", str(self.data), *args],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        self._ctl(
            "-l", str(self.root / "log"), "-o", f"-h 127.0.0.1 -p {self.port} -k {self.root}",
            "-w", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """``fast`` closes connections cleanly; ``immediate`` is a crash (like kill -9)."""
        self._ctl("-m", mode, "-w", "stop")

    def destroy(self) -> None:
        import shutil
        import subprocess

        subprocess.run(
            [*self.prefix, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
             "stop"],
            capture_output=True,
        )  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url():  # type: ignore[no-untyped-def]
    """A real PostgreSQL server on 127.0.0.1 for this test session (stopped afterwards)."""
    server = PgServer()
    try:
        yield server.url
    finally:
        server.destroy()


@pytest.fixture
def pg_server():  # type: ignore[no-untyped-def]
    """A PostgreSQL server of this test's own, to stop and start (outage tests)."""
    server = PgServer()
    try:
        yield server
    finally:
        server.destroy()


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


# -- a real MLflow store with two registered versions (serve and monitor tests) --------------


@dataclass(frozen=True)
class Registered:
    home: Path
    tracking_uri: str
    name: str
    versions: tuple[int, ...]


@pytest.fixture(scope="session")
def registered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registered]:
    from textops.data import MemorySource, ingest
    from textops.search import SearchConfig, run_search
    from textops.track import MlflowTracker, ModelRegistry, default_tracking_uri

    home = tmp_path_factory.mktemp("serve-home")
    ingest([MemorySource("topics", topic_rows())], "topics", home=home)
    versions = []
    for study, head in (("v1", "logreg"), ("v2", "knn")):
        cfg = SearchConfig(
            dataset="topics", embedders=("fake",), heads=(head,), trials=2, cv_folds=3, study=study
        )
        report = to_json(
            run_search(cfg, home=home, tracker=MlflowTracker(home=home), show_progress=False)
        )
        versions.append(int(report["model_version"]))
    uri = default_tracking_uri(home)
    ModelRegistry(uri).promote("topics", versions[0])  # v1 is champion whatever the scores
    yield Registered(home, uri, "topics", tuple(versions))


@pytest.fixture
def settings_for(registered: Registered):  # type: ignore[no-untyped-def]
    from textops.serve import ServeSettings

    def make(**kw: object) -> ServeSettings:
        base = {
            "model_uri": f"models:/{registered.name}@champion",
            "tracking_uri": registered.tracking_uri,
            "home": str(registered.home),
            "poll_seconds": 0,
        }
        return ServeSettings.model_validate({**base, **kw})

    return make


# -- a tiny randomly initialised BERT (trained-head tests: seconds, not minutes) ---------------


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 32-wide BERT with MiniLM's tokenizer, written as a plain Hugging Face folder
    (what a user's own model looks like: no sentence-transformers files)."""
    import torch
    import transformers
    from transformers import AutoTokenizer, BertConfig, BertModel

    from textops.embed import resolve_model

    transformers.utils.logging.disable_progress_bar()
    folder = tmp_path_factory.mktemp("tiny-bert")
    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(str(resolve_model("minilm")))
    cfg = BertConfig(
        vocab_size=tok.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=256,
    )
    BertModel(cfg).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


SPAM_TEXTS = [
    "free cash prize win now",
    "lunch tomorrow at noon?",
    "win a free prize, call now",
    "see you at lunch",
    "claim your cash prize",
    "meeting moved to noon",
] * 6
SPAM_LABELS = ["spam", "ham"] * 18


@pytest.fixture(scope="session")
def trained_encoders(tiny_bert: Path) -> dict[str, dict[str, str]]:
    """Parameters of the bundled-encoder table entries (finetuned, bilstm_encoder) pointing at
    folders that training on the tiny BERT wrote."""
    from textops.model import HEADS

    out = {}
    for head in ("finetune", "bilstm"):
        est = HEADS[head].factory(seed=0, model=str(tiny_bert), epochs=1)
        exported = est.set_params(device="cpu").fit(SPAM_TEXTS, SPAM_LABELS).export()
        emb = exported.embedder
        out[exported.embedder_key] = {k: v for k, v in emb.get_params().items()}
        # keep the encoder (and so its folder) alive for the session
        out[exported.embedder_key]["_keep"] = emb  # type: ignore[assignment]
    return out


# -- homes with several models, and with a generator ------------------------------------------


@pytest.fixture(scope="session")
def two_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A home with two registered models, spam and route (one service can serve both); route
    is a few-labels model (every row pooled: a CV estimate, no test score)."""
    from textops.data import MemorySource, ingest
    from textops.search import SearchConfig, run_search
    from textops.track import MlflowTracker, default_tracking_uri

    home = tmp_path_factory.mktemp("multi")
    ingest([MemorySource("topics", topic_rows())], "topics", home=home)
    for name, head in (("spam", "logreg"), ("route", "knn")):
        cfg = SearchConfig(
            dataset="topics",
            embedders=("fake",),
            heads=(head,),
            trials=2,
            cv_folds=3,
            model_name=name,
            study=name,
            few_labels=10_000 if name == "route" else 100,
        )
        run_search(cfg, home=home, tracker=MlflowTracker(home=home), show_progress=False)
    return home, default_tracking_uri(home)


@pytest.fixture(scope="session")
def gen_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with a registered text generator, horo (a tiny GPT-2 trained from scratch)."""
    from tests.gen.test_gen import corpus
    from textops.data import IngestConfig, MemorySource, ingest
    from textops.gen import GenTrainConfig, train_generator

    home = tmp_path_factory.mktemp("gen-serve")
    ingest([MemorySource("horo", corpus())], "horo", IngestConfig(task="generation"), home=home)
    train_generator(GenTrainConfig(dataset="horo", model="scratch", epochs=1, max_length=32,
                                   vocab_size=300),
                    home=home)  # fmt: skip
    return home
