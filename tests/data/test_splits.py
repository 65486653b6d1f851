from __future__ import annotations

from collections import Counter
from pathlib import Path

from textops.data import FileSource, IngestConfig, SplitOptions, ingest
from textops.data._splits import assign_split


def _rows(n: int, offset: int = 0) -> list[tuple[str, str]]:
    return [(f"text number {i}", "common" if i % 10 else "rare") for i in range(offset, offset + n)]


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("text,label\n" + "".join(f"{t},{lab}\n" for t, lab in rows))
    return path


def test_adding_rows_never_moves_an_existing_row(tmp_path: Path, home: Path) -> None:
    p = _write(tmp_path / "d.csv", _rows(2000))
    v1 = ingest([FileSource(p)], "d", home=home)
    before = dict(zip(v1.texts(), v1.table(["split"])["split"].to_pylist(), strict=True))
    _write(p, _rows(2000) + _rows(1500, offset=5000))
    v2 = ingest([FileSource(p)], "d", home=home)
    after = dict(zip(v2.texts(), v2.table(["split"])["split"].to_pylist(), strict=True))
    assert v1.version != v2.version
    assert all(after[t] == s for t, s in before.items())


def test_split_proportions_hold_for_every_label(tmp_path: Path, home: Path) -> None:
    ds = ingest([FileSource(_write(tmp_path / "d.csv", _rows(5000)))], "d", home=home)
    splits = ds.manifest["splits"]
    for label, total in ds.manifest["labels"].items():
        test_share = splits["test"]["labels"][label] / total
        val_share = splits["validation"]["labels"][label] / total
        assert abs(test_share - 0.2) < 0.05, label
        assert abs(val_share - 0.1) < 0.05, label


def test_split_depends_on_seed_and_text_only() -> None:
    digest = bytes(range(32))
    a = SplitOptions(seed=1)
    assert assign_split(digest, a) == assign_split(digest, SplitOptions(seed=1))
    outcomes = Counter(
        assign_split(bytes([i]) * 32, SplitOptions(seed=s)) for i in range(50) for s in range(20)
    )
    assert set(outcomes) == {"train", "validation", "test"}


def test_split_fractions_are_configurable(tmp_path: Path, home: Path) -> None:
    cfg = IngestConfig.model_validate({"splits": {"test": 0.5, "validation": 0.0}})
    ds = ingest([FileSource(_write(tmp_path / "d.csv", _rows(1000)))], "d", cfg, home=home)
    s = ds.manifest["splits"]
    assert s["validation"]["rows"] == 0
    assert 430 < s["test"]["rows"] < 570


def test_splits_assigned_together_are_each_rows_own() -> None:
    import hashlib

    from textops.data._schema import SplitOptions
    from textops.data._splits import assign_split, assign_splits

    digests = [hashlib.sha256(str(i).encode()).digest() for i in range(5000)]
    for options in (SplitOptions(), SplitOptions(validation=0.3, test=0.2, seed=7)):
        assert assign_splits(digests, options) == [assign_split(d, options) for d in digests]
    assert assign_splits([], SplitOptions()) == []
