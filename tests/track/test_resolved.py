"""A model URI resolved against a SQLite store is remembered while the store is unchanged, so
a one-text predict does not import MLflow to learn the folder again."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Registered
from textops.track import ModelRegistry, _resolved, default_tracking_uri, download_model


@pytest.fixture
def store(registered: Registered, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A copy of the registered home's store (its versions' folders stay where they are), with
    no wait for stillness: this test's writes are a moment old when it resolves."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(registered.home / "mlflow.db", home / "mlflow.db")
    monkeypatch.setattr(_resolved, "_STILL_S", 0.0)
    return default_tracking_uri(home)


def _memo(uri: str) -> Path:
    db = Path(uri.removeprefix("sqlite:///"))
    return db.with_name(f".{db.name}.textops-resolved.json")


def test_a_resolved_alias_is_read_later_without_mlflow(store: str) -> None:
    folder = download_model("models:/topics@champion", store)
    assert (folder / "MLmodel").is_file()
    assert _memo(store).is_file()
    code = (
        "import sys; from textops.track import download_model; "
        f"print(download_model('models:/topics@champion', {store!r})); "
        "print('mlflow' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == [str(folder), "False"]


def test_moving_the_alias_resolves_it_again(store: str, registered: Registered) -> None:
    first = download_model("models:/topics@champion", store)
    ModelRegistry(store).promote("topics", registered.versions[1])
    second = download_model("models:/topics@champion", store)
    assert second != first
    assert second == download_model(f"models:/topics/{registered.versions[1]}", store)


def test_a_store_written_a_moment_ago_is_not_remembered(
    store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_resolved, "_STILL_S", 3600.0)
    download_model("models:/topics@champion", store)
    assert not _memo(store).exists()


@pytest.mark.parametrize("memo", ["{not json", '{"store": "/elsewhere.db", "uris": {}}', "[]"])
def test_a_damaged_or_foreign_memo_is_ignored(store: str, memo: str) -> None:
    _memo(store).write_text(memo)
    folder = download_model("models:/topics@champion", store)
    assert (folder / "MLmodel").is_file()
    assert json.loads(_memo(store).read_text())["uris"]["models:/topics@champion"]["folder"] == (
        str(folder)
    )


def test_a_memo_naming_a_folder_that_is_gone_is_resolved_again(store: str) -> None:
    folder = download_model("models:/topics@champion", store)
    body = json.loads(_memo(store).read_text())
    body["uris"]["models:/topics@champion"]["folder"] = "/nonexistent/model"
    _memo(store).write_text(json.dumps(body))
    assert download_model("models:/topics@champion", store) == folder


def test_a_download_from_a_remote_artifact_store_is_not_remembered(store: str) -> None:
    folder = download_model("models:/topics@champion", store)
    _memo(store).unlink()
    stamp = _resolved.store_stamp(store)
    assert stamp is not None
    _resolved.remember("models:/topics@champion", store, stamp, "s3://bucket/model", folder)
    assert not _memo(store).exists()  # a copy MLflow downloaded may be gone by the next call
    _resolved.remember("models:/topics@champion", store, stamp, f"file://{folder}", folder)
    assert _memo(store).exists()
