"""Ingest: read every source, validate, quarantine rejects, version and split what is accepted.

Everything is written under a temporary directory and renamed into place at the end, so an ingest
that fails (a file that cannot be parsed, Ctrl-C) leaves nothing behind.
"""

from __future__ import annotations

import gc
import logging
import shutil
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textops._progress import progress
from textops._types import JSON
from textops._util import atomic_write_json, fsync_dir
from textops.data._accepted import AcceptedRows, finish, quarantine_row
from textops.data._chunk import RecordChunk
from textops.data._filters import warm_language_identifier
from textops.data._manifest import SourceStats, build_manifest
from textops.data._quality import RejectWarning
from textops.data._readers import FileSource, RecordSource
from textops.data._schema import IngestConfig
from textops.data._store import Dataset, DatasetStore, validate_name
from textops.data._validate import Validator
from textops.errors import DataFormatError, RejectRateError

__all__ = ["ingest"]

log = logging.getLogger("textops.data")
#: the dataset's warnings (rejects, rare labels): a logger of their own, so that a caller that
#: shows them itself (``textops data ingest`` prints them under its tables) can mute the log
warnings_log = logging.getLogger("textops.data.warnings")


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
    writer = AcceptedRows(tmp / "accepted.arrow")
    with (tmp / "quarantine.jsonl").open("w", encoding="utf-8") as quarantine:
        for source in sources:
            st = stats.setdefault(source.name, SourceStats())
            for chunk in _record_chunks(source, config.chunk_rows):
                judged = validator.check_chunk(chunk, yields=source.yields)
                for i, res in judged.rejected:
                    st.rejected_by_reason[res.reason.value] += 1
                    quarantine_row(quarantine, chunk.record(i), res.reason.value, res.detail)
                st.rows_read += len(chunk)
                st.rows_accepted += len(judged.rows)
                writer.add(chunk, judged, source.split, config.splits)
                bar.advance(len(chunk))
            if st.rows_read == 0:
                raise DataFormatError(
                    f"{source.name}: no data rows (a header and nothing else?); "
                    "check the file, nothing was stored"
                )
        writer.close()
        conflicts, rare = validator.conflicting(), validator.rare_labels()
        moved = finish(writer.path, tmp / "data.parquet", conflicts, rare,
                       config.min_rows_per_label, quarantine)  # fmt: skip
    for (name, reason), n in moved.items():
        stats[name].rows_accepted -= n
        stats[name].rejected_by_reason[reason] += n
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
        warm_language_identifier()  # the manifest names the languages of a sample of texts
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
