"""Data stage: ingest CSV/TSV/JSONL/Parquet into one schema, validate, quarantine, version, split."""

from textops.data._builtin import BUILTIN_DATASETS, BuiltinDataset, builtin_source
from textops.data._ingest import ingest, ingest_report
from textops.data._normalize import normalize_text
from textops.data._readers import FORMATS, FileSource, MemorySource, RecordSource, detect_format
from textops.data._schema import (
    IngestConfig,
    NormalizationOptions,
    RawRecord,
    RejectReason,
    SplitOptions,
)
from textops.data._splits import SPLITS, assign_split
from textops.data._store import Dataset, DatasetStore
from textops.data._tables import UserTable, read_table, write_table

__all__ = [
    "BUILTIN_DATASETS",
    "FORMATS",
    "SPLITS",
    "BuiltinDataset",
    "Dataset",
    "DatasetStore",
    "FileSource",
    "IngestConfig",
    "MemorySource",
    "NormalizationOptions",
    "RawRecord",
    "RecordSource",
    "RejectReason",
    "SplitOptions",
    "UserTable",
    "assign_split",
    "builtin_source",
    "detect_format",
    "ingest",
    "ingest_report",
    "normalize_text",
    "read_table",
    "write_table",
]
