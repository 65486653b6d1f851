"""A new dataset version made from a stored one by moving some of its rows to the quarantine
(``textops data audit --quarantine``) or giving some another label (``--review``): the
parent's rows minus those moved, the parent's quarantine plus those (each with its reason and
detail), relabelled rows with their new label (each change in ``relabelled.jsonl``), a
manifest whose counts, labels and splits are recounted and which names its parent. The parent
version stays as it was.

Rows keep their split (a split is a hash of the text, and the text does not change), so a
model trained on the new version is scored on the same test rows as one trained on the parent,
less the rows moved.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textops._util import atomic_write_json, fsync_dir
from textops.data._accepted import quarantine_row
from textops.data._manifest import _tallies
from textops.data._schema import RawRecord, RejectReason
from textops.data._store import Dataset, DatasetStore

__all__ = ["MovedRow", "RelabelledRow", "derive_version"]


@dataclass(frozen=True)
class RelabelledRow:
    """A row of a dataset version to give another label (a person's correction), and
    who or what said so."""

    row: int
    label: str
    detail: str


@dataclass(frozen=True)
class MovedRow:
    """A row of a dataset version (its position in ``data.parquet``) to move to the
    quarantine, and why."""

    row: int
    reason: RejectReason
    detail: str


def _fingerprint(parent: Dataset, parts: Sequence[bytes]) -> str:
    digest = hashlib.sha256(b"derived\0" + parent.fingerprint.encode())
    for part in sorted(parts):
        digest.update(part + b"\0")
    return digest.hexdigest()


def _recount(manifest: dict[str, Any], moved: Counter[tuple[str, str]]) -> None:
    """Per source and in total: accepted rows down, rejects by reason up."""
    n = sum(moved.values())
    manifest["rows_accepted"] -= n
    manifest["rows_rejected"] += n
    totals = Counter(manifest.get("rejected_by_reason", {}))
    for source in manifest.get("sources", []):
        per = Counter(source.get("rejected_by_reason", {}))
        for (name, reason), k in moved.items():
            if name == source.get("name"):
                source["rows_accepted"] = source.get("rows_accepted", 0) - k
                source["rows_rejected"] = source.get("rows_rejected", 0) + k
                per[reason] += k
        source["rejected_by_reason"] = dict(per)
    for (_, reason), k in moved.items():
        totals[reason] += k
    manifest["rejected_by_reason"] = dict(totals)


def _check_rows(rows: Sequence[int], n: int, dataset: Dataset) -> None:
    if rows and (max(rows) >= n or min(rows) < 0):
        raise IndexError(f"a row to change is outside {dataset.name}@{dataset.version}")


def _quarantine(tmp: Path, parent: Dataset, moved: Sequence[MovedRow], rows: list[dict[str, Any]]
                ) -> Counter[tuple[str, str]]:  # fmt: skip
    """The parent's quarantine plus the moved rows; the rows moved by (source, reason)."""
    shutil.copyfile(parent.quarantine_path, tmp / "quarantine.jsonl")
    counted: Counter[tuple[str, str]] = Counter()
    with (tmp / "quarantine.jsonl").open("a", encoding="utf-8") as fh:
        for m, row in zip(moved, rows, strict=True):
            rec = RawRecord(row["source"], row["line"], row["text"], row["label"], row["id"])
            quarantine_row(fh, rec, m.reason.value, m.detail)
            counted[(row["source"], m.reason.value)] += 1
    return counted


def _relabel(table: Any, relabelled: Sequence[RelabelledRow], tmp: Path) -> Any:
    """``table`` with the new labels, and each change in ``relabelled.jsonl``."""
    import pyarrow as pa

    labels = table["label"].to_pylist()
    with (tmp / "relabelled.jsonl").open("w", encoding="utf-8") as fh:
        for r in relabelled:
            change = {"text": table["text"][r.row].as_py(), "was": labels[r.row],
                      "label": r.label, "detail": r.detail}  # fmt: skip
            fh.write(json.dumps(change, ensure_ascii=False) + "\n")
            labels[r.row] = r.label
    return table.set_column(table.schema.get_field_index("label"), "label",
                            pa.array(labels, type=pa.string()))  # fmt: skip


def derive_version(
    dataset: Dataset,
    *,
    moved: Sequence[MovedRow] = (),
    relabelled: Sequence[RelabelledRow] = (),
    home: str | Path | None = None,
    by: str = "",
) -> Dataset:
    """A new version of ``dataset``, made the latest: the ``moved`` rows in its quarantine,
    the ``relabelled`` rows with their new labels (each change kept in ``relabelled.jsonl``);
    ``by`` names what changed it (recorded in the manifest with the parent version)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    relabelled = [r for r in relabelled if r.row not in {m.row for m in moved}]
    if not moved and not relabelled:
        raise ValueError("no rows to move or relabel: the version would be its parent")
    table = pq.read_table(dataset.data_path)
    moved = sorted({m.row: m for m in moved}.values(), key=lambda m: m.row)
    gone = [m.row for m in moved]
    _check_rows(gone + [r.row for r in relabelled], table.num_rows, dataset)
    rows = table.take(pa.array(gone, type=pa.int64())).to_pylist()
    parts = [b"q" + r["text_sha256"] + r["label"].encode() for r in rows]
    parts += [b"r" + table["text_sha256"][r.row].as_py() + r.label.encode() for r in relabelled]
    store = DatasetStore(home)
    tmp = store.root / f".tmp-{dataset.name}-{uuid.uuid4().hex[:12]}"
    tmp.mkdir(parents=True)
    try:
        if relabelled:
            table = _relabel(table, relabelled, tmp)
        mask = np.ones(table.num_rows, dtype=bool)
        mask[gone] = False
        pq.write_table(table.filter(pa.array(mask)), tmp / "data.parquet", compression="zstd")
        counted = _quarantine(tmp, dataset, moved, rows)
        manifest = _manifest(dataset, _fingerprint(dataset, parts), counted, tmp, store, by)
        manifest["relabelled"] = len(relabelled)
        atomic_write_json(tmp / "manifest.json", manifest)
        final = store.dataset_dir(dataset.name) / manifest["version"]
        if final.exists():  # the same change again: the same version
            shutil.rmtree(final)
        tmp.rename(final)
        fsync_dir(final.parent)
        store.set_latest(dataset.name, manifest["version"])
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Dataset.open(final)


def _manifest(
    parent: Dataset,
    fingerprint: str,
    counted: Counter[tuple[str, str]],
    tmp: Path,
    store: DatasetStore,
    by: str,
) -> dict[str, Any]:
    import copy

    manifest: dict[str, Any] = copy.deepcopy(dict(parent.manifest))
    version = fingerprint[:16]
    final = store.dataset_dir(parent.name) / version
    _recount(manifest, counted)
    labels, splits = _tallies(tmp / "data.parquet")
    manifest["splits"] = {
        k: v for k, v in manifest.get("splits", {}).items() if k in ("method", "seed", "fractions")
    } | splits
    manifest.update(
        version=version,
        fingerprint=fingerprint,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        labels=labels,
        parent={"version": parent.version, "fingerprint": parent.fingerprint},
        derived_by=by,
        data_path=str(final / "data.parquet"),
        quarantine_path=str(final / "quarantine.jsonl"),
    )
    return manifest
