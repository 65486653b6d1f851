"""What an ingest's rejects say about its input: a loud warning, with the likely fix, for every
reason that takes more than 1 % of the rows, and the ``max_reject_rate`` gate for pipelines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from textops._types import JSON
from textops.data._schema import RejectReason

__all__ = ["WARN_SHARE", "RejectWarning", "reject_warnings"]

#: a reject reason above this share of the rows read is reported as a warning
WARN_SHARE = 0.01

_HINTS: dict[str, str] = {
    RejectReason.MALFORMED_ROW: "rows do not parse: check the delimiter and quoting (--format "
    "tsv for tab-separated files) or that every JSON line is an object",
    RejectReason.UNDECODABLE_BYTES: "the file is not in the encoding given by --encoding: drop "
    "--encoding to detect it, or name the right one",
    RejectReason.INVALID_UNICODE: "texts hold lone UTF-16 surrogates (broken \\ud800-style "
    "escapes): fix the program that wrote the file",
    RejectReason.CONTROL_CHARACTERS: "texts hold NUL bytes (damaged rows) or control characters "
    "with --set control_chars=reject; check how the file was exported",
    RejectReason.EMPTY_TEXT: "many texts are empty: check that --text-col names the text column",
    RejectReason.TEXT_TOO_SHORT: "lower --min-chars",
    RejectReason.TEXT_TOO_LONG: "raise --max-chars (texts over it are rejected, not cut)",
    RejectReason.MISSING_LABEL: "many rows have no label: check --label-col",
    RejectReason.UNKNOWN_LABEL: "labels outside --labels: add them to --labels or drop it",
    RejectReason.EXACT_DUPLICATE: "the input repeats rows (only the first copy is kept); "
    "expected when files overlap",
    RejectReason.CONFLICTING_LABEL: "the same texts carry different labels (every copy is "
    "quarantined): review the quarantine and relabel",
    RejectReason.NEAR_DUPLICATE: "many texts nearly repeat earlier ones (templated or scraped "
    "twice); raise --set near_duplicates=0.9 to keep closer variants",
    RejectReason.WRONG_LANGUAGE: "many texts are identified as another language: check "
    "--set languages=[...] (short texts are hard to identify)",
}


@dataclass(frozen=True)
class RejectWarning:
    """One reject reason that took a notable share of the rows."""

    reason: str
    rows: int
    share: float
    hint: str

    def message(self) -> str:
        return f"{self.rows:,} rows ({self.share:.1%}) rejected as {self.reason}: {self.hint}"

    def as_dict(self) -> JSON:
        return {"reason": self.reason, "rows": self.rows, "share": self.share, "hint": self.hint}


def _encoding_hint(sources: Sequence[Mapping[str, Any]]) -> str | None:
    """For files read with a named encoding that rejected bytes: what detection says."""
    from pathlib import Path

    from textops.data._repair import SNIFF_BYTES, sniff_encoding

    for src in sources:
        if src.get("encoding_detected") is False and src.get("rejected_by_reason", {}).get(
            RejectReason.UNDECODABLE_BYTES
        ):
            path = Path(str(src["path"]))
            try:
                with path.open("rb") as fh:
                    guess = sniff_encoding(fh.read(SNIFF_BYTES))
            except OSError:
                continue
            return (
                f"{path.name} is not {src['encoding']}; it looks like {guess}: pass "
                f"--encoding {guess.removesuffix('-sig')}, or drop --encoding to detect it"
            )
    return None


def reject_warnings(
    rows_read: int, rejected: Mapping[str, int], sources: Sequence[Mapping[str, object]] = ()
) -> list[RejectWarning]:
    """A warning for every reason over ``WARN_SHARE`` of ``rows_read``, largest first."""
    out = []
    for reason, n in sorted(rejected.items(), key=lambda kv: -kv[1]):
        share = n / max(rows_read, 1)
        if share <= WARN_SHARE:
            continue
        hint = _HINTS.get(reason, "see the quarantine file")
        if reason == RejectReason.UNDECODABLE_BYTES:
            hint = _encoding_hint(sources) or hint
        out.append(RejectWarning(reason, n, share, hint))
    return out
