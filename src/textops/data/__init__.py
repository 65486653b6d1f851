"""Data stage: ingest CSV/TSV/JSONL/Parquet into one schema, validate, quarantine, version, split."""

from textops.data._augment import augment, augment_texts
from textops.data._builtin import BUILTIN_DATASETS, builtin_source
from textops.data._columns import text_column
from textops.data._derive import MovedRow, RelabelledRow, derive_version
from textops.data._files import TABLE_EXTENSIONS
from textops.data._ingest import ingest
from textops.data._labelled import LabelledVersion, read_labelled
from textops.data._manifest import IngestReport, ingest_report
from textops.data._normalize import normalize_text, prepare_texts
from textops.data._readers import FileSource, MemorySource
from textops.data._repair import EncodingGuess, clean_text
from textops.data._schema import (
    IngestConfig,
    NormalizationOptions,
    RejectReason,
    SplitOptions,
    TextDecoding,
)
from textops.data._splits import SPLITS
from textops.data._store import Dataset, DatasetStore, validate_name
from textops.data._synthetic import (
    SyntheticProvenance,
    SyntheticRows,
    read_synthetic,
    write_synthetic,
)
from textops.data._tables import read_table, write_table

__all__ = [
    "BUILTIN_DATASETS",
    "SPLITS",
    "TABLE_EXTENSIONS",
    "Dataset",
    "DatasetStore",
    "EncodingGuess",
    "FileSource",
    "IngestConfig",
    "IngestReport",
    "LabelledVersion",
    "MemorySource",
    "MovedRow",
    "NormalizationOptions",
    "RejectReason",
    "RelabelledRow",
    "SplitOptions",
    "SyntheticProvenance",
    "SyntheticRows",
    "TextDecoding",
    "augment",
    "augment_texts",
    "builtin_source",
    "clean_text",
    "derive_version",
    "ingest",
    "ingest_report",
    "normalize_text",
    "prepare_texts",
    "read_labelled",
    "read_synthetic",
    "read_table",
    "text_column",
    "validate_name",
    "write_synthetic",
    "write_table",
]
