"""What an ingest records: the manifest stored with each dataset version (counts per source,
rejects by reason, repairs, warnings, labels, splits, the content fingerprint that names the
version), and :class:`IngestReport`, its typed view, which ``textops data ingest --json``
prints."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textops._types import JSON
from textops._util import sha256_file
from textops.data._quality import RejectWarning, reject_warnings
from textops.data._readers import FileSource, RecordSource
from textops.data._schema import SCHEMA_VERSION, IngestConfig
from textops.data._splits import SPLITS
from textops.data._store import Dataset
from textops.data._validate import Validator

if TYPE_CHECKING:
    import numpy as np

__all__ = ["IngestReport", "SourceStats", "build_manifest", "ingest_report"]


@dataclass
class SourceStats:
    """Rows read, accepted and rejected (by reason) from one source, or from all."""

    rows_read: int = 0
    rows_accepted: int = 0
    rejected_by_reason: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> JSON:
        return {
            "rows_read": self.rows_read,
            "rows_accepted": self.rows_accepted,
            "rows_rejected": sum(self.rejected_by_reason.values()),
            "rejected_by_reason": dict(sorted(self.rejected_by_reason.items())),
        }


def _fingerprint(config: IngestConfig, rows: dict[str, list[bytes]]) -> str:
    """sha256 over the options that shape the rows, then the sorted sha256 of every row's
    (text digest, label) (``rows``: digests by label): the same rows give the same
    fingerprint in any order."""
    import numpy as np

    h = hashlib.sha256()
    header = {
        "schema_version": SCHEMA_VERSION,
        "normalization": config.normalization.model_dump(),
        "splits": config.splits.model_dump(),
    }
    h.update(json.dumps(header, sort_keys=True).encode())
    sha256 = hashlib.sha256
    parts = [np.zeros(0, np.uint8)]
    for label, digests in rows.items():
        suffix = b"\0" + label.encode()
        for start in range(0, len(digests), _HASH_BATCH):  # numpy bytes, not 1M bytes objects
            hashed = [sha256(d + suffix).digest() for d in digests[start : start + _HASH_BATCH]]
            parts.append(np.frombuffer(b"".join(hashed), dtype=np.uint8))
    # the row hashes in byte order (as big-endian words, sorted by numpy, not Python)
    words = np.concatenate(parts).view(">u8").reshape(-1, 4)
    h.update(words[byte_order(words)].tobytes())
    return h.hexdigest()


def byte_order(words: np.ndarray) -> np.ndarray:
    """The order that sorts rows of big-endian 64-bit words as their bytes sort."""
    import numpy as np

    order = np.argsort(words[:, 0])  # hashes: the first word almost always decides
    first = words[order, 0]
    if (first[1:] == first[:-1]).any():  # a tie on 64 bits: order by every word
        order = np.lexsort(words.T[::-1])
    return order


_HASH_BATCH = 65_536


def _tallies(data: Path) -> tuple[dict[str, int], dict[str, JSON]]:
    import pyarrow.parquet as pq

    table = pq.read_table(data, columns=["label", "split"])
    counted = table.group_by(["split", "label"]).aggregate([([], "count_all")]).to_pylist()
    pairs = Counter({(row["split"], row["label"]): row["count_all"] for row in counted})
    labels: Counter[str] = Counter()
    for (_, lab), n in pairs.items():
        labels[lab] += n
    splits: dict[str, JSON] = {}
    for name in SPLITS:
        per = {lab: n for (s, lab), n in sorted(pairs.items()) if s == name}
        splits[name] = {"rows": sum(per.values()), "labels": per}
    return dict(sorted(labels.items())), splits


#: texts language identification reads (spread over the file): enough for shares of a few
#: percent, a fraction of a second
LANGUAGE_SAMPLE = 400


def languages(data: Path, sample: int = LANGUAGE_SAMPLE) -> JSON:
    """The languages of a dataset's texts: each one's share of a sample (py3langid, two
    decimals), the dominant one, and how many texts were read."""
    import pyarrow.parquet as pq

    from textops.data._filters import detect_language

    file = pq.ParquetFile(data)
    rows = file.metadata.num_rows
    if not rows:
        return {"dominant": None, "shares": {}, "sampled": 0}
    wanted = range(0, rows, max(1, rows // sample))[:sample]
    texts, start = [], 0
    for g in range(file.num_row_groups):  # one group's texts at a time, not the whole column
        size = file.metadata.row_group(g).num_rows
        if any(start <= i < start + size for i in wanted):
            group = file.read_row_group(g, columns=["text"])["text"]
            texts += [group[i - start].as_py() for i in wanted if start <= i < start + size]
        start += size
    picked = [t for t in texts if t and t.strip()]
    found = Counter(detect_language(t)[0] for t in picked)
    n = max(sum(found.values()), 1)
    shares = {lang: round(c / n, 2) for lang, c in found.most_common(5) if c / n >= 0.01}
    return {"dominant": found.most_common(1)[0][0] if found else None, "shares": shares,
            "sampled": len(picked)}  # fmt: skip


def _textops_version() -> str:
    from textops._version import __version__

    return __version__


def build_manifest(
    name: str,
    config: IngestConfig,
    sources: Sequence[RecordSource],
    stats: dict[str, SourceStats],
    validator: Validator,
    tmp: Path,
    final_root: Path,
) -> JSON:
    fingerprint = _fingerprint(config, validator.surviving())
    version = fingerprint[:16]
    labels, splits = _tallies(tmp / "data.parquet")
    final = final_root / version
    total = SourceStats()
    source_entries = []
    for source in sources:
        st = stats[source.name]
        total.rows_read += st.rows_read
        total.rows_accepted += st.rows_accepted
        total.rejected_by_reason.update(st.rejected_by_reason)
        entry: JSON = {"name": source.name, **source.describe(), **st.as_dict()}
        if isinstance(source, FileSource):
            entry["sha256"] = sha256_file(source.path)
        source_entries.append(entry)
    totals = total.as_dict()
    warnings = reject_warnings(totals["rows_read"], totals["rejected_by_reason"], source_entries)
    return {
        "dataset": name,
        "version": version,
        "fingerprint": fingerprint,
        "schema_version": SCHEMA_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "textops_version": _textops_version(),
        "config": config.model_dump(mode="json"),
        "normalization": config.normalization.model_dump(),
        **totals,
        # rows kept after a repair, by kind (a row can have several)
        "repairs": dict(sorted(validator.repairs.items())),
        "warnings": [w.as_dict() for w in warnings],
        "labels": labels,
        "languages": languages(tmp / "data.parquet"),
        "splits": {
            "method": "hash(text, seed)",
            "seed": config.splits.seed,
            "fractions": {
                "train": round(1 - config.splits.validation - config.splits.test, 6),
                "validation": config.splits.validation,
                "test": config.splits.test,
            },
            **splits,
        },
        "sources": source_entries,
        "data_path": str(final / "data.parquet"),
        "quarantine_path": str(final / "quarantine.jsonl"),
    }


@dataclass(frozen=True)
class IngestReport:
    """What an ingest did: counts, rejects by reason, repairs, warnings, labels, splits.
    ``as_json()`` is what ``textops data ingest --json`` prints."""

    dataset: str
    version: str
    fingerprint: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    rejected_by_reason: dict[str, int]
    repairs: dict[str, int]
    warnings: list[RejectWarning]
    quarantine_path: str
    labels: dict[str, int]
    #: rows per split
    splits: dict[str, int]
    #: one manifest entry per source (path, format, columns, encoding, counts, sha256)
    sources: list[JSON]
    #: the languages of a sample of its texts, by share
    languages: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> JSON:
        out = asdict(self)
        out["warnings"] = [w.as_dict() for w in self.warnings]
        return out


def ingest_report(dataset: Dataset) -> IngestReport:
    """The report of the ingest that made ``dataset`` (from its manifest)."""
    m = dataset.manifest
    return IngestReport(
        dataset=m["dataset"],
        version=m["version"],
        fingerprint=m["fingerprint"],
        rows_read=m["rows_read"],
        rows_accepted=m["rows_accepted"],
        rows_rejected=m["rows_rejected"],
        rejected_by_reason=dict(m["rejected_by_reason"]),
        repairs=dict(m.get("repairs", {})),
        warnings=[RejectWarning(**w) for w in m.get("warnings", [])],
        quarantine_path=m["quarantine_path"],
        labels=dict(m["labels"]),
        splits={s: m["splits"][s]["rows"] for s in SPLITS},
        sources=list(m["sources"]),
        languages=dict(m.get("languages", {}).get("shares", {})),
    )
