"""A model folder's hash is remembered by its files' names, sizes and times, across processes."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from textops.embed import _model_hash
from textops.embed._model_hash import hash_model_files


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TEXTOPS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(_model_hash, "_MEMO", {})
    model = tmp_path / "model"
    model.mkdir()
    (model / "weights.bin").write_bytes(b"\x01" * 1000)
    (model / "config.json").write_text("{}")
    return model


def _direct(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        h.update(str(p.relative_to(folder)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def test_the_hash_covers_names_and_bytes_and_is_remembered_on_disk(folder: Path) -> None:
    digest = hash_model_files(folder)
    assert digest == _direct(folder)
    memo = json.loads(_model_hash._memo_file().read_text())
    assert memo[str(folder.resolve())][1] == digest


def test_a_new_process_reads_the_memo_instead_of_the_files(folder: Path) -> None:
    hash_model_files(folder)
    memo_file = _model_hash._memo_file()
    memo = json.loads(memo_file.read_text())
    memo[str(folder.resolve())][1] = "remembered"  # what only the memo can answer
    memo_file.write_text(json.dumps(memo))
    _model_hash._MEMO.clear()  # a new process
    assert hash_model_files(folder) == "remembered"


def test_a_changed_file_is_hashed_again(folder: Path) -> None:
    first = hash_model_files(folder)
    weights = folder / "weights.bin"
    weights.write_bytes(b"\x02" * 1000)  # same size
    st = weights.stat()
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    _model_hash._MEMO.clear()
    second = hash_model_files(folder)
    assert second != first and second == _direct(folder)


def test_a_damaged_memo_is_ignored_and_rewritten(folder: Path) -> None:
    memo_file = _model_hash._memo_file()
    memo_file.parent.mkdir(parents=True)
    memo_file.write_text("{not json")
    assert hash_model_files(folder) == _direct(folder)
    assert json.loads(memo_file.read_text())


def test_the_memo_drops_the_folder_hashed_longest_ago(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_model_hash, "_KEEP", 2)
    folders = []
    for name in ("z-model", "a-model", "m-model"):  # recency differs from name order
        other = folder.parent / name
        other.mkdir()
        (other / "weights.bin").write_bytes(name.encode())
        hash_model_files(other)
        folders.append(str(other.resolve()))
    memo = json.loads(_model_hash._memo_file().read_text())
    assert list(memo) == folders[1:]
