"""A new dataset version made from a stored one by moving some of its rows to the quarantine
(``textops data audit --quarantine``): the parent's rows minus those, the parent's quarantine
plus those (each with its reason and detail), a manifest whose counts, labels and splits are
recounted and which names its parent. The parent version stays as it was.

Rows keep their split (a split is a hash of the text, and the text does not change), so a
model trained on the new version is scored on the same test rows as one trained on the parent,
less the rows moved.
"""

from __future__ import annotations

import hashlib
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

__all__ = ["MovedRow", "quarantine_rows"]


@dataclass(frozen=True)
class MovedRow:
    """A row of a dataset version (its position in ``data.parquet``) to move to the
    quarantine, and why."""

    row: int
    reason: RejectReason
    detail: str


def _fingerprint(parent: Dataset, moved: Sequence[MovedRow], keys: list[bytes]) -> str:
    digest = hashlib.sha256(b"derived\0" + parent.fingerprint.encode())
    for key in sorted(keys):
        digest.update(key)
    digest.update(",".join(sorted({m.reason.value for m in moved})).encode())
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


def quarantine_rows(
    dataset: Dataset, moved: Sequence[MovedRow], *, home: str | Path | None = None, by: str = ""
) -> Dataset:
    """A new version of ``dataset`` without the ``moved`` rows (now in its quarantine),
    made the latest; ``by`` names what moved them (recorded in the manifest)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not moved:
        raise ValueError("no rows to move: the version would be its parent")
    table = pq.read_table(dataset.data_path)
    if max(m.row for m in moved) >= table.num_rows or min(m.row for m in moved) < 0:
        raise IndexError(f"a row to move is outside {dataset.name}@{dataset.version}")
    gone = sorted({m.row for m in moved})
    mask = np.ones(table.num_rows, dtype=bool)
    mask[gone] = False
    rows = table.take(pa.array(gone)).to_pylist()
    keys = [r["text_sha256"] + r["label"].encode() for r in rows]
    fingerprint = _fingerprint(dataset, moved, keys)
    store = DatasetStore(home)
    tmp = store.root / f".tmp-{dataset.name}-{uuid.uuid4().hex[:12]}"
    tmp.mkdir(parents=True)
    try:
        pq.write_table(table.filter(pa.array(mask)), tmp / "data.parquet", compression="zstd")
        shutil.copyfile(dataset.quarantine_path, tmp / "quarantine.jsonl")
        by_row = {m.row: m for m in moved}
        counted: Counter[tuple[str, str]] = Counter()
        with (tmp / "quarantine.jsonl").open("a", encoding="utf-8") as fh:
            for i, row in zip(gone, rows, strict=True):
                m = by_row[i]
                rec = RawRecord(row["source"], row["line"], row["text"], row["label"], row["id"])
                quarantine_row(fh, rec, m.reason.value, m.detail)
                counted[(row["source"], m.reason.value)] += 1
        manifest = _manifest(dataset, fingerprint, counted, tmp, store, by)
        atomic_write_json(tmp / "manifest.json", manifest)
        final = store.dataset_dir(dataset.name) / manifest["version"]
        if final.exists():  # the same rows moved again: the same version
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
