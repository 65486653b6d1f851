"""Dataset versions on disk: ``<home>/datasets/<name>/<version>/{data.parquet, manifest.json, ...}``.

A version directory is complete or absent: ingest writes it under a temporary name and renames it
into place. ``<home>/datasets/<name>/LATEST`` names the newest version.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from textops._home import home_dir
from textops._types import JSON
from textops._util import atomic_write
from textops.data._schema import TextDecoding
from textops.errors import DataFormatError, DatasetNotFoundError

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["Dataset", "DatasetStore", "validate_name"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def validate_name(name: str) -> str:
    if not _NAME.match(name):
        raise DataFormatError(
            f"dataset name {name!r} is not allowed; use letters, digits, '.', '_' or '-' "
            "(at most 100 characters), e.g. --name sms_spam"
        )
    return name


@dataclass(frozen=True, kw_only=True)
class Dataset:
    """One stored dataset version: what its manifest says of it, read once when it is opened
    (:meth:`open`), and its rows, read on demand (:meth:`table`)."""

    path: Path
    manifest: JSON = field(repr=False, compare=False)
    name: str
    version: str
    fingerprint: str
    #: ``classification`` (texts with labels) or ``generation`` (a corpus; the label column
    #: holds each text's prompt, empty when there is none)
    task: str
    #: the dominant language of the texts (ISO 639-1; None for a dataset stored before
    #: textops recorded it, or without texts)
    language: str | None
    #: how this version's texts were decoded and repaired (what its models repeat): the
    #: legacy encoding of its files, if any, and the ingest's repairs
    decoding: TextDecoding
    data_path: Path
    quarantine_path: Path

    @classmethod
    def open(cls, path: Path) -> Dataset:
        m: JSON = json.loads((path / "manifest.json").read_text("utf-8"))
        config = m.get("config", {})
        legacy = [
            str(src["encoding"])
            for src in m.get("sources", [])
            if src.get("encoding") and not str(src["encoding"]).lower().startswith("utf")
        ]
        decoding = TextDecoding(
            encoding=legacy[0] if legacy else None,
            repair_mojibake=bool(config.get("repair_mojibake", True)),
            control_chars=config.get("control_chars", "strip"),
            unescape_html=bool(config.get("unescape_html", False)),
        )
        language = m.get("languages", {}).get("dominant")
        return cls(
            path=path,
            manifest=m,
            name=str(m["dataset"]),
            version=str(m["version"]),
            fingerprint=str(m["fingerprint"]),
            task=str(config.get("task", "classification")),
            language=None if language is None else str(language),
            decoding=decoding,
            data_path=path / "data.parquet",
            quarantine_path=path / "quarantine.jsonl",
        )

    def table(self, columns: list[str] | None = None, split: str | None = None) -> pa.Table:
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        cols = None if columns is None else list(dict.fromkeys([*columns, "split"]))
        table = pq.read_table(self.data_path, columns=cols)
        if split is not None:
            table = table.filter(pc.equal(table["split"], split))
        if columns is not None:
            table = table.select(columns)
        return table

    def texts(self, split: str | None = None) -> list[str]:
        """Normalised texts as a plain Python list (safe for scikit-learn indexing)."""
        return [str(t) for t in self.table(["text"], split)["text"].to_pylist()]

    def labels(self, split: str | None = None) -> list[str]:
        return [str(t) for t in self.table(["label"], split)["label"].to_pylist()]

    def prompts(self, split: str | None = None) -> list[str]:
        """A generation corpus's prompts ("" for none), row for row with :meth:`texts`."""
        return self.labels(split)


class DatasetStore:
    """All datasets under a textops home."""

    def __init__(self, home: str | Path | None = None) -> None:
        self.home = home_dir(home)
        self.root = self.home / "datasets"

    def dataset_dir(self, name: str) -> Path:
        return self.root / validate_name(name)

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / "LATEST").is_file())

    def versions(self, name: str) -> list[Dataset]:
        d = self.dataset_dir(name)
        found = (
            [Dataset.open(p) for p in d.iterdir() if (p / "manifest.json").is_file()]
            if d.is_dir()
            else []
        )
        return sorted(found, key=lambda ds: str(ds.manifest.get("created_at", "")))

    def get(self, name: str, version: str | None = None) -> Dataset:
        d = self.dataset_dir(name)
        if version is None:
            latest = d / "LATEST"
            if not latest.is_file():
                known = ", ".join(self.names()) or "none yet"
                raise DatasetNotFoundError(
                    f"no dataset named {name!r} in {self.root} (known: {known}); "
                    f"create it with `textops data ingest FILE --name {name}` or "
                    "`textops data ingest --builtin NAME`"
                )
            version = latest.read_text("utf-8").strip()
        path = d / version
        if not (path / "manifest.json").is_file():
            raise DatasetNotFoundError(
                f"dataset {name!r} has no version {version!r}; "
                f"see `textops data show {name}` for its versions"
            )
        return Dataset.open(path)

    def set_latest(self, name: str, version: str) -> None:
        with atomic_write(self.dataset_dir(name) / "LATEST", "w") as fh:
            fh.write(version + "\n")
