"""Ingest: read every source, validate, quarantine rejects, version and split what is accepted.

Everything is written under a temporary directory and renamed into place at the end, so an ingest
that fails (a file that cannot be parsed, Ctrl-C) leaves nothing behind.
"""

from __future__ import annotations

import gc
import json
import logging
import shutil
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from textops._progress import progress
from textops._types import JSON
from textops._util import atomic_write_json, fsync_dir
from textops.data._chunk import RecordChunk
from textops.data._dates import iso_date
from textops.data._manifest import SourceStats, build_manifest
from textops.data._quality import RejectWarning
from textops.data._readers import FileSource, RecordSource
from textops.data._repair import printable
from textops.data._schema import IngestConfig, RawRecord, RejectReason, SplitOptions
from textops.data._splits import assign_split
from textops.data._store import Dataset, DatasetStore, validate_name
from textops.data._validate import Accepted, Validator
from textops.errors import DataFormatError, RejectRateError

__all__ = ["ingest"]

log = logging.getLogger("textops.data")
#: the dataset's warnings (rejects, rare labels): a logger of their own, so that a caller that
#: shows them itself (``textops data ingest`` prints them under its tables) can mute the log
warnings_log = logging.getLogger("textops.data.warnings")


def _arrow_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("id", pa.string()),
            ("text", pa.string()),
            ("label", pa.string()),
            ("source", pa.string()),
            ("line", pa.int64()),
            ("created_at", pa.string()),
            ("split", pa.string()),
            ("text_sha256", pa.binary(32)),
        ]
    )


def _printable(value: str | None) -> str | None:
    """Quarantine text as valid Unicode: undecodable bytes shown as \\xNN escapes."""
    return None if value is None else printable(value)


def _quarantine(fh: IO[str], rec: RawRecord, reason: str, detail: str) -> None:
    fh.write(
        json.dumps(
            {
                "source": rec.source,
                "line": rec.line,
                "reason": reason,
                "detail": detail,
                "id": _printable(rec.id),
                "label": _printable(rec.label),
                "text": _printable(rec.text),
            },
            ensure_ascii=False,
        )
        + "\n"
    )


class _Writer:
    """Buffers accepted rows of one chunk into columns and writes them as one row group."""

    def __init__(self, path: Path) -> None:
        import pyarrow.parquet as pq

        self.schema = _arrow_schema()
        self._pq = pq.ParquetWriter(path, self.schema, compression="zstd")
        self.reset()

    def reset(self) -> None:
        self.cols: dict[str, list[Any]] = {name: [] for name in self.schema.names}

    def add(
        self,
        chunk: RecordChunk,
        accepted: list[tuple[int, Accepted]],
        split: str | None,
        splits: SplitOptions,
    ) -> None:
        """The accepted rows of ``chunk`` (index, result), to ``split`` or by their hash."""
        c, lines, ids, created = self.cols, chunk.lines, chunk.ids, chunk.created
        c["id"] += [
            printable(ident) if (ident := None if ids is None else ids[i]) is not None
            else f"{chunk.source}:{lines[i]}"
            for i, _ in accepted
        ]  # fmt: skip
        c["text"] += [ok.text for _, ok in accepted]
        c["label"] += [ok.label for _, ok in accepted]
        c["source"] += [chunk.source] * len(accepted)
        c["line"] += [lines[i] for i, _ in accepted]
        c["created_at"] += [
            None if (when := None if created is None else created[i]) is None
            else iso_date(printable(when))
            for i, _ in accepted
        ]  # fmt: skip
        c["split"] += (
            [split] * len(accepted)
            if split is not None
            else [assign_split(ok.digest, splits) for _, ok in accepted]
        )
        c["text_sha256"] += [ok.digest for _, ok in accepted]

    def flush(self) -> None:
        import pyarrow as pa

        if self.cols["id"]:
            self._pq.write_table(pa.table(self.cols, schema=self.schema))
        self.reset()

    def close(self) -> None:
        self.flush()
        self._pq.close()


def _drop_rows(
    tmp: Path,
    conflicts: dict[bytes, set[str]],
    rare: dict[str, int],
    min_rows: int | None,
    quarantine: IO[str],
    stats: dict[str, SourceStats],
) -> None:
    """Move from the accepted file to quarantine the first row of every contested text, and
    every row of a label too rare to keep."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    src = pq.ParquetFile(tmp / "accepted.parquet")
    out = pq.ParquetWriter(tmp / "data.parquet", src.schema_arrow, compression="zstd")
    keys = pa.array(list(conflicts), type=pa.binary(32))
    rare_labels = pa.array(list(rare), type=pa.string())
    try:
        for i in range(src.num_row_groups):
            group = src.read_row_group(i)
            contested = pc.is_in(group["text_sha256"], value_set=keys)
            bad = pc.or_(contested, pc.is_in(group["label"], value_set=rare_labels))
            for row in group.filter(bad).to_pylist():
                if row["text_sha256"] in conflicts:
                    others = sorted(conflicts[row["text_sha256"]] - {row["label"]})
                    reason = RejectReason.CONFLICTING_LABEL
                    detail = f"text also labelled {others} by a later row"
                else:
                    reason = RejectReason.RARE_LABEL
                    detail = (
                        f"label {row['label']!r} has {rare[row['label']]} row(s), fewer than "
                        f"min_rows_per_label={min_rows}"
                    )
                rec = RawRecord(row["source"], row["line"], row["text"], row["label"], row["id"])
                _quarantine(quarantine, rec, reason.value, detail)
                st = stats[row["source"]]
                st.rows_accepted -= 1
                st.rejected_by_reason[reason.value] += 1
            out.write_table(group.filter(pc.invert(bad)))
    finally:
        out.close()
    (tmp / "accepted.parquet").unlink()


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """The cyclic garbage collector paused: reading makes millions of small objects (strings,
    digests, results) and no cycles; each generation-0 collection would walk the young ones
    again, taking ~40 % of the read (bench/ingest.py). Reference counting still frees them."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _record_chunks(source: RecordSource, chunk_rows: int) -> Iterator[RecordChunk]:
    """A source's rows in chunks of columns (a file reads its own; other sources' records
    are put into columns)."""
    if isinstance(source, FileSource):
        return source.record_chunks(chunk_rows)
    return (RecordChunk.of(source.name, c) for c in source.chunks(chunk_rows))


def _check_sources(sources: Sequence[RecordSource]) -> None:
    if not sources:
        raise ValueError("ingest needs at least one source")
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise DataFormatError(
            f"two sources are both named {dup}; each source needs its own file name "
            "(the name is recorded with every row)"
        )


def _read(
    sources: Sequence[RecordSource],
    validator: Validator,
    config: IngestConfig,
    tmp: Path,
    bar: Any,
) -> dict[str, SourceStats]:
    """Validate every row of every source into ``tmp``: accepted rows to ``data.parquet``,
    rejects to ``quarantine.jsonl``; returns the counts per source."""
    stats: dict[str, SourceStats] = {}
    writer = _Writer(tmp / "accepted.parquet")
    with (tmp / "quarantine.jsonl").open("w", encoding="utf-8") as quarantine:
        for source in sources:
            st = stats.setdefault(source.name, SourceStats())
            for chunk in _record_chunks(source, config.chunk_rows):
                judged = validator.check_chunk(chunk, yields=source.yields)
                for i, res in judged.rejected:
                    st.rejected_by_reason[res.reason.value] += 1
                    _quarantine(quarantine, chunk.record(i), res.reason.value, res.detail)
                st.rows_read += len(chunk)
                st.rows_accepted += len(judged.accepted)
                writer.add(chunk, judged.accepted, source.split, config.splits)
                writer.flush()
                bar.advance(len(chunk))
            if st.rows_read == 0:
                raise DataFormatError(
                    f"{source.name}: no data rows (a header and nothing else?); "
                    "check the file, nothing was stored"
                )
        writer.close()
        conflicts, rare = validator.conflicting(), validator.rare_labels()
        if conflicts or rare:
            _drop_rows(tmp, conflicts, rare, config.min_rows_per_label, quarantine, stats)
        else:
            (tmp / "accepted.parquet").rename(tmp / "data.parquet")
    return stats


def _refuse(manifest: JSON, config: IngestConfig, tmp: Path, store: DatasetStore) -> None:
    """Stop an ingest that accepted nothing, or rejected more than ``max_reject_rate``; its
    manifest and quarantine are kept under ``datasets/.failed/`` for the diagnosis."""
    read, rejected = manifest["rows_read"], manifest["rows_rejected"]
    reasons = ", ".join(f"{k} {v:,}" for k, v in manifest["rejected_by_reason"].items())
    limit = config.max_reject_rate
    if manifest["rows_accepted"] > 0 and (limit is None or rejected <= limit * read):
        return
    kept = store.root / ".failed" / f"{manifest['dataset']}-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    kept.parent.mkdir(parents=True, exist_ok=True)
    (tmp / "data.parquet").unlink(missing_ok=True)
    manifest = {**manifest, "quarantine_path": str(kept / "quarantine.jsonl"), "data_path": None}
    atomic_write_json(tmp / "manifest.json", manifest)
    tmp.rename(kept)
    where = f"the quarantine is kept in {kept / 'quarantine.jsonl'}"
    if manifest["rows_accepted"] == 0:
        raise DataFormatError(
            f"no row of {read:,} was accepted ({reasons}); nothing was stored, {where}"
        )
    raise RejectRateError(
        f"{rejected:,} of {read:,} rows rejected ({rejected / read:.1%}: {reasons}), over "
        f"max_reject_rate={limit}; nothing was stored, {where}"
    )


def ingest(
    sources: Sequence[RecordSource],
    name: str,
    config: IngestConfig | None = None,
    *,
    home: str | Path | None = None,
    show_progress: bool | None = None,
) -> Dataset:
    """Read, repair, validate, quarantine, fingerprint and split ``sources`` into dataset
    ``name``; returns the stored :class:`Dataset` version.

    Raises :class:`~textops.errors.DataFormatError` (and stores nothing) when a source cannot
    be parsed, has no rows, or no row is accepted, and
    :class:`~textops.errors.RejectRateError` when more than ``config.max_reject_rate`` of
    the rows are rejected. Reject reasons over 1 % of the rows are logged as warnings with
    the likely fix (and listed in the manifest's ``warnings``).
    """
    config = config or IngestConfig()
    validate_name(name)
    _check_sources(sources)
    store = DatasetStore(home)
    store.root.mkdir(parents=True, exist_ok=True)
    tmp = store.root / f".tmp-{name}-{uuid.uuid4().hex[:12]}"
    tmp.mkdir()
    try:
        validator = Validator(config)
        with progress(f"ingest {name}", None, show_progress) as bar, _no_cyclic_gc():
            stats = _read(sources, validator, config, tmp, bar)
        manifest = build_manifest(
            name, config, sources, stats, validator, tmp, store.dataset_dir(name)
        )
        for w in manifest["warnings"]:
            warnings_log.warning("%s: %s", name, RejectWarning(**w).message())
        _refuse(manifest, config, tmp, store)
        atomic_write_json(tmp / "manifest.json", manifest)
        final = store.dataset_dir(name) / manifest["version"]
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():  # same content again: the newest ingest's report replaces the old one
            shutil.rmtree(final)
        tmp.rename(final)
        fsync_dir(final.parent)
        store.set_latest(name, manifest["version"])
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Dataset.open(final)
