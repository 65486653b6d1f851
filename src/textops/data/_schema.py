"""The dataset schema, the ingest configuration and the named reasons a row can be rejected for."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "SCHEMA_VERSION",
    "IngestConfig",
    "NormalizationOptions",
    "RawRecord",
    "RejectReason",
    "SplitOptions",
    "TextDecoding",
]

SCHEMA_VERSION = 1

#: Columns of a stored dataset (Parquet), in order.
DATASET_COLUMNS = ("id", "text", "label", "source", "line", "created_at", "split", "text_sha256")


class RejectReason(StrEnum):
    """Why a row went to quarantine. Every value is counted and reported by name."""

    MALFORMED_ROW = "malformed_row"  # wrong field count, invalid JSON line, non-text value
    UNDECODABLE_BYTES = "undecodable_bytes"  # bytes not valid in the encoding given by --encoding
    INVALID_UNICODE = "invalid_unicode"  # a lone surrogate (e.g. a JSON "\\ud800" escape)
    CONTROL_CHARACTERS = "control_characters"  # a NUL byte, or controls with control_chars=reject
    EMPTY_TEXT = "empty_text"  # empty or whitespace-only text
    TEXT_TOO_SHORT = "text_too_short"  # below IngestConfig.min_chars after normalisation
    TEXT_TOO_LONG = "text_too_long"  # above IngestConfig.max_chars after normalisation
    MISSING_LABEL = "missing_label"  # empty or absent label
    UNKNOWN_LABEL = "unknown_label"  # not in the declared label set
    EXACT_DUPLICATE = "exact_duplicate"  # same normalised text and label as an earlier row
    NEAR_DUPLICATE = "near_duplicate"  # MinHash Jaccard >= near_duplicates with an earlier row
    WRONG_LANGUAGE = "wrong_language"  # identified language not in IngestConfig.languages
    CONFLICTING_LABEL = "conflicting_label"  # same normalised text with different labels
    RARE_LABEL = "rare_label"  # a label with fewer rows than IngestConfig.min_rows_per_label
    SUSPECT_LABEL = "suspect_label"  # moved by `data audit --quarantine`: the label looks wrong


class NormalizationOptions(BaseModel):
    """How texts are normalised before validation, hashing and storage (recorded in the manifest)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unicode_form: str = Field("NFC", pattern="^(NFC|NFKC|NFD|NFKD|none)$")
    collapse_whitespace: bool = True
    lowercase: bool = False


class TextDecoding(BaseModel):
    """How a dataset's texts were decoded and repaired, recorded with every model trained on
    it: prediction reads files, and repairs texts, the way training did (the same bytes give
    the same string)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    encoding: str | None = Field(
        None, description="the legacy encoding the training files were read with (None: Unicode)"
    )
    repair_mojibake: bool = True
    control_chars: Literal["strip", "reject"] = "strip"
    unescape_html: bool = False


class SplitOptions(BaseModel):
    """Train/validation/test fractions and the seed of the hash that assigns rows to them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    validation: float = Field(0.1, ge=0.0, lt=1.0)
    test: float = Field(0.2, ge=0.0, lt=1.0)
    seed: int = 0

    @model_validator(mode="after")
    def _room_for_train(self) -> SplitOptions:
        if self.validation + self.test >= 1.0:
            raise ValueError("validation + test must leave room for train (sum < 1)")
        return self


class IngestConfig(BaseModel):
    """Everything that decides what an ingest accepts and how it stores it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    normalization: NormalizationOptions = NormalizationOptions()
    splits: SplitOptions = SplitOptions()
    min_chars: int = Field(1, ge=1, description="shortest accepted text, after normalisation")
    max_chars: int = Field(20_000, ge=1, description="longest accepted text, after normalisation")
    labels: tuple[str, ...] | None = Field(
        None,
        description="declared label set (comma-separated on the command line); rows with "
        "other labels are rejected",
    )
    chunk_rows: int = Field(50_000, ge=1, description="rows read and validated per chunk")
    task: Literal["classification", "generation"] = Field(
        "classification",
        description="classification (texts with labels), or generation: a corpus without "
        "labels for training a generator; the label field holds the optional prompt (a zodiac "
        "sign, a title: prompt_col), and duplicates are judged by text alone",
    )
    keep: Literal["all", "text_punct"] = Field(
        "all",
        description="text_punct: keep only letters, digits, whitespace and punctuation (any "
        "script); symbols and emoji are removed and the row counted as repaired",
    )
    near_duplicates: float | None = Field(
        None,
        gt=0.0,
        le=1.0,
        description="reject a row whose MinHash Jaccard similarity (character 5-grams) with "
        "an earlier row reaches this threshold, e.g. 0.8",
    )
    languages: tuple[str, ...] | None = Field(
        None, description="ISO 639-1 codes to keep (py3langid); other rows are rejected"
    )
    repair_mojibake: bool = Field(
        True, description="undo mojibake (text decoded with the wrong encoding) with ftfy"
    )
    unescape_html: bool = Field(
        False,
        description="turn HTML entities (&amp; &#039; &quot;) into the characters they stand for "
        "(web text, scraped tweets); each row changed is counted as repaired",
    )
    control_chars: Literal["strip", "reject"] = Field(
        "strip",
        description="control characters left after repair: strip them, or reject the row "
        "(a NUL byte always rejects the row: it marks damaged data, not text)",
    )
    min_rows_per_label: int | None = Field(
        None,
        ge=1,
        description="quarantine the rows of labels that end with fewer accepted rows than "
        "this (reason rare_label): a label with a row or two cannot be learned or tested",
    )
    label_map: dict[str, str] | None = Field(
        None,
        description="labels renamed as they are read (a YAML file of old: new, or the mapping): "
        "merge labels, e.g. ratings 1-10 into negative / neutral / positive; labels not in "
        "it are kept",
    )
    max_reject_rate: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="fail the ingest (nothing stored, exit 1) when more than this share of "
        "rows is rejected, for any reason (duplicates included)",
    )

    @field_validator("label_map", mode="before")
    @classmethod
    def _read_label_map(cls, value: Any) -> Any:
        """A path is read as a YAML mapping; keys and values become strings (YAML reads a
        rating ``1`` as a number)."""
        if isinstance(value, str | Path):
            from textops._config import safe_yaml

            path = Path(value).expanduser()
            try:
                value = safe_yaml(path.read_text("utf-8"), f"label_map {path}")
            except OSError as exc:
                raise ValueError(f"label_map {path} cannot be read ({exc})") from None
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _bounds(self) -> IngestConfig:
        if self.min_chars > self.max_chars:
            raise ValueError("min_chars must not exceed max_chars")
        return self


@dataclass(slots=True)
class RawRecord:
    """One row as read from a source, before validation.

    ``problem`` is set by the reader when the row could not be read into fields at all.
    ``line`` is the 1-based line where the row starts (the row number for Parquet).
    """

    source: str
    line: int
    text: str | None
    label: str | None
    id: str | None = None
    created_at: str | None = None
    problem: RejectReason | None = None
    detail: str = ""
    #: the reader decoded bytes that were not valid in the file's encoding (``encoding=auto``)
    encoding_repaired: bool = False
