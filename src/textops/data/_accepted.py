"""Where an ingest puts rows: the accepted ones in columns, the rejected ones in quarantine.

Accepted rows go to an uncompressed Arrow file chunk by chunk as they are judged. Only at the
end is it known which of them must still go (the first row of a text a later row labelled
otherwise, every row of a label too rare to keep): :func:`finish` writes what stays to
``data.parquet`` in one pass, and the rest to quarantine. Writing Parquet once, from Arrow,
costs less than writing it, reading it back and writing it again (bench/ingest.py).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import IO, Any

from textops.data._chunk import RecordChunk
from textops.data._dates import iso_date
from textops.data._repair import printable
from textops.data._schema import RawRecord, RejectReason, SplitOptions
from textops.data._splits import assign_splits
from textops.data._validate import ChunkResult

__all__ = ["AcceptedRows", "finish", "quarantine_row"]


def _schema() -> Any:
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


def quarantine_row(fh: IO[str], rec: RawRecord, reason: str, detail: str) -> None:
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


class AcceptedRows:
    """The accepted rows of every chunk, appended to an Arrow file as one record batch each."""

    def __init__(self, path: Path) -> None:
        import pyarrow as pa

        self.path = path
        self.schema = _schema()
        self._sink = pa.OSFile(str(path), "wb")
        self._file = pa.ipc.new_file(self._sink, self.schema)

    def add(
        self, chunk: RecordChunk, judged: ChunkResult, split: str | None, splits: SplitOptions
    ) -> None:
        """The accepted rows of ``chunk``, to ``split`` or by their hash."""
        import pyarrow as pa

        rows = judged.rows
        if not rows:
            return
        lines, ids, created, source = chunk.lines, chunk.ids, chunk.created, chunk.source
        line = [lines[i] for i in rows]
        if ids is None or not any(ids):  # ids made of where the row is
            id_ = [f"{source}:{n}" for n in line]
        elif all(ids) and "".join(map(str, ids)).isascii():  # nothing to escape
            id_ = [str(ids[i]) for i in rows]
        else:
            id_ = [
                printable(ident) if (ident := ids[i]) is not None else f"{source}:{lines[i]}"
                for i in rows
            ]
        if created is None or not any(created):
            when: list[str | None] = [None] * len(rows)
        else:
            when = [None if (c := created[i]) is None else iso_date(printable(c)) for i in rows]
        columns = {
            "id": id_,
            "text": judged.texts,
            "label": judged.labels,
            "source": pa.repeat(source, len(rows)).cast(pa.string()),
            "line": line,
            "created_at": when,
            "split": [split] * len(rows)
            if split is not None
            else assign_splits(judged.digests, splits),
            "text_sha256": judged.digests,
        }
        self._file.write_table(pa.table(columns, schema=self.schema))

    def close(self) -> None:
        self._file.close()
        self._sink.close()


def finish(
    accepted: Path,
    data: Path,
    conflicts: dict[bytes, set[str]],
    rare: dict[str, int],
    min_rows: int | None,
    quarantine: IO[str],
) -> Counter[tuple[str, str]]:
    """Write the rows of ``accepted`` that stay to ``data`` (Parquet), and to ``quarantine``
    the first row of every contested text and every row of a label too rare to keep; returns
    the rows moved, by (source, reason)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    moved: Counter[tuple[str, str]] = Counter()
    keys = pa.array(list(conflicts), type=pa.binary(32))
    rare_labels = pa.array(list(rare), type=pa.string())
    with pa.OSFile(str(accepted), "rb") as source:  # read, not mapped: batches come and go
        reader = pa.ipc.open_file(source)
        with pq.ParquetWriter(data, reader.schema, compression="zstd") as out:
            for i in range(reader.num_record_batches):
                batch = reader.get_batch(i)
                if conflicts or rare:
                    bad = pc.or_(
                        pc.is_in(batch["text_sha256"], value_set=keys),
                        pc.is_in(batch["label"], value_set=rare_labels),
                    )
                    for row in batch.filter(bad).to_pylist():
                        reason, detail = _why_moved(row, conflicts, rare, min_rows)
                        rec = RawRecord(row["source"], row["line"], row["text"], row["label"],
                                        row["id"])  # fmt: skip
                        quarantine_row(quarantine, rec, reason.value, detail)
                        moved[(row["source"], reason.value)] += 1
                    batch = batch.filter(pc.invert(bad))
                out.write_batch(batch)
    accepted.unlink()
    return moved


def _why_moved(
    row: dict[str, Any], conflicts: dict[bytes, set[str]], rare: dict[str, int], least: int | None
) -> tuple[RejectReason, str]:
    if row["text_sha256"] in conflicts:
        others = sorted(conflicts[row["text_sha256"]] - {row["label"]})
        return RejectReason.CONFLICTING_LABEL, f"text also labelled {others} by a later row"
    label = row["label"]
    return RejectReason.RARE_LABEL, (
        f"label {label!r} has {rare[label]} row(s), fewer than min_rows_per_label={least}"
    )
