"""Row validation: one pass over every record, deciding accept or reject with a named reason.

The validator is stateful across all sources of one ingest: it remembers every accepted
normalised text (by sha256) to find exact duplicates and texts that appear with conflicting
labels. A conflict rejects the later row at once; the first row, already accepted, is pulled
out afterwards (see :meth:`Validator.conflicting`), so no version of a contested text is kept.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from textops.data._normalize import find_control_char, has_undecodable_bytes, normalize_text
from textops.data._schema import IngestConfig, RawRecord, RejectReason

__all__ = ["Accepted", "Rejected", "Validator"]


@dataclass(slots=True)
class Accepted:
    text: str
    label: str
    digest: bytes  # sha256 of the normalised text


@dataclass(slots=True)
class Rejected:
    reason: RejectReason
    detail: str


class Validator:
    def __init__(self, config: IngestConfig) -> None:
        self.config = config
        self._labels = frozenset(config.labels) if config.labels else None
        self._label_ids: dict[str, int] = {}
        self._label_names: list[str] = []
        # normalised-text digest -> label id of the first accepted row with that text
        self._seen: dict[bytes, int] = {}
        # digest -> every label seen for that text (only for contested texts)
        self._conflicts: dict[bytes, set[str]] = {}

    def _label_id(self, label: str) -> int:
        idx = self._label_ids.get(label)
        if idx is None:
            idx = self._label_ids[label] = len(self._label_names)
            self._label_names.append(label)
        return idx

    def check(self, rec: RawRecord) -> Accepted | Rejected:
        if rec.problem is not None:
            return Rejected(rec.problem, rec.detail)
        raw = rec.text
        if raw is not None and has_undecodable_bytes(raw):
            return Rejected(RejectReason.UNDECODABLE_BYTES, "text is not valid UTF-8")
        if rec.label is not None and has_undecodable_bytes(rec.label):
            return Rejected(RejectReason.UNDECODABLE_BYTES, "label is not valid UTF-8")
        if raw is not None and (ch := find_control_char(raw)) is not None:
            return Rejected(RejectReason.CONTROL_CHARACTERS, f"control character {ch} in text")
        text = normalize_text(raw, self.config.normalization) if raw is not None else ""
        if not text.strip():
            return Rejected(RejectReason.EMPTY_TEXT, "text is empty or whitespace")
        n = len(text)
        if n < self.config.min_chars:
            return Rejected(
                RejectReason.TEXT_TOO_SHORT, f"{n} characters < min_chars={self.config.min_chars}"
            )
        if n > self.config.max_chars:
            return Rejected(
                RejectReason.TEXT_TOO_LONG, f"{n} characters > max_chars={self.config.max_chars}"
            )
        label = rec.label
        if label is None:
            return Rejected(RejectReason.MISSING_LABEL, "label is empty or absent")
        if self._labels is not None and label not in self._labels:
            return Rejected(
                RejectReason.UNKNOWN_LABEL,
                f"label {label!r} is not in the declared set {sorted(self._labels)}",
            )
        digest = hashlib.sha256(text.encode("utf-8")).digest()
        label_id = self._label_id(label)
        first = self._seen.get(digest)
        if first is None:
            self._seen[digest] = label_id
            return Accepted(text, label, digest)
        contested = self._conflicts.get(digest)
        if contested is not None:
            contested.add(label)
            return Rejected(
                RejectReason.CONFLICTING_LABEL, f"text also labelled {sorted(contested - {label})}"
            )
        if first == label_id:
            return Rejected(
                RejectReason.EXACT_DUPLICATE, "same normalised text and label as an earlier row"
            )
        first_label = self._label_names[first]
        self._conflicts[digest] = {first_label, label}
        return Rejected(
            RejectReason.CONFLICTING_LABEL, f"same text as an earlier row labelled {first_label!r}"
        )

    def conflicting(self) -> dict[bytes, set[str]]:
        """Digests of texts seen with more than one label: their first rows must be removed."""
        return self._conflicts

    def surviving(self) -> list[tuple[bytes, str]]:
        """(text digest, label) of every row that stays accepted, for fingerprinting."""
        names = self._label_names
        return [(d, names[i]) for d, i in self._seen.items() if d not in self._conflicts]
