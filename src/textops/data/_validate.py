"""Row validation: one pass over every record, repairing what can be repaired (see
``_repair``), then deciding accept or reject with a named reason.

The validator is stateful across all sources of one ingest: it remembers every accepted
normalised text (by sha256) to find exact duplicates and texts that appear with conflicting
labels. A conflict rejects the later row at once; the first row, already accepted, is pulled
out afterwards (see :meth:`Validator.conflicting`), so no version of a contested text is kept.
A row from a source that *yields* (feedback nobody reviewed) is the only one rejected when it
contradicts a row of a source that does not: curated data is never removed by a conflicting
label someone sent.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field

from textops.data._chunk import RecordChunk
from textops.data._filters import NearDuplicates, detect_language, keep_text_punct
from textops.data._normalize import normalize_text
from textops.data._repair import (
    Repair,
    find_control_char,
    lone_surrogate,
    repair_text,
    strip_controls,
)
from textops.data._schema import IngestConfig, RawRecord, RejectReason
from textops.data._screen import rows_to_check

__all__ = ["Accepted", "ChunkResult", "Rejected", "Validator"]


@dataclass(slots=True)
class Accepted:
    text: str
    label: str
    digest: bytes  # sha256 of the normalised text
    repairs: tuple[str, ...] = ()  # Repair names applied to this row


@dataclass(slots=True)
class Rejected:
    reason: RejectReason
    detail: str


@dataclass(slots=True)
class ChunkResult:
    """A chunk's rows as :meth:`Validator.check_chunk` judged them, in order: the accepted
    ones as columns (their row indices, repaired and normalised texts, labels, digests), the
    rejected ones by index."""

    rows: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    digests: list[bytes] = field(default_factory=list)
    rejected: list[tuple[int, Rejected]] = field(default_factory=list)

    def accept(self, i: int, ok: Accepted) -> None:
        self.rows.append(i)
        self.texts.append(ok.text)
        self.labels.append(ok.label)
        self.digests.append(ok.digest)


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
        # digests whose first accepted row came from a source that yields
        self._yielding: set[bytes] = set()
        #: repairs made to accepted rows, by Repair name
        self.repairs: Counter[str] = Counter()
        self._generation = config.task == "generation"
        #: generation: digest -> the prompt of the row kept for that text
        self._prompts: dict[bytes, str] = {}
        self._near = NearDuplicates(config.near_duplicates) if config.near_duplicates else None
        #: labels dropped for having too few rows (set by :meth:`rare_labels`)
        self._rare: dict[str, int] = {}

    def _label_id(self, label: str) -> int:
        idx = self._label_ids.get(label)
        if idx is None:
            idx = self._label_ids[label] = len(self._label_names)
            self._label_names.append(label)
        return idx

    def _unusable(self, value: str, what: str) -> Rejected | None:
        """Why ``value`` cannot be stored even after repair, or None."""
        if (cp := lone_surrogate(value)) is not None:
            if 0xDC80 <= cp <= 0xDCFF:
                return Rejected(
                    RejectReason.UNDECODABLE_BYTES,
                    f"{what} has bytes that are not valid in the file's encoding "
                    "(drop --encoding to detect it, or name the right one)",
                )
            return Rejected(
                RejectReason.INVALID_UNICODE,
                f"{what} has a lone surrogate U+{cp:04X} (half of a UTF-16 pair): not valid "
                "Unicode",
            )
        if "\x00" in value:
            return Rejected(
                RejectReason.CONTROL_CHARACTERS, f"NUL byte in {what}: the row is damaged"
            )
        return None

    def _repair(self, rec: RawRecord) -> tuple[str | None, list[str]] | Rejected:
        """The row's text after repair, and the repairs made; or why it is unusable."""
        raw = rec.text
        repairs = [Repair.ENCODING] if rec.encoding_repaired else []
        if raw is None:
            return None, repairs
        if (bad := self._unusable(raw, "text")) is not None:
            return bad
        if self.config.unescape_html and "&" in raw:
            import html

            unescaped = html.unescape(raw)
            if unescaped != raw:
                raw = unescaped
                repairs.append(Repair.HTML_ENTITIES)
        if self.config.repair_mojibake:
            fixed = repair_text(raw, self.config.control_chars)
            raw = fixed.text
            repairs += [Repair.MOJIBAKE] * fixed.mojibake
            repairs += [Repair.CONTROL_CHARACTERS] * fixed.stripped
        elif self.config.control_chars == "strip" and find_control_char(raw) is not None:
            raw = strip_controls(raw)
            repairs.append(Repair.CONTROL_CHARACTERS)
        if (ch := find_control_char(raw)) is not None:
            return Rejected(RejectReason.CONTROL_CHARACTERS, f"control character {ch} in text")
        if self.config.keep == "text_punct":
            raw, changed = keep_text_punct(raw)
            repairs += [Repair.NON_TEXT] * changed
        return raw, repairs

    def check(self, rec: RawRecord, *, yields: bool = False) -> Accepted | Rejected:
        """Accept ``rec`` (repaired) or say why not; ``yields``: its source gives way to
        earlier rows of sources that do not, on a label conflict."""
        prepared = self._prepare(rec)
        if isinstance(prepared, Rejected):
            return prepared
        text, label, repairs = prepared
        return self._decide(text, label, repairs, rec, yields)

    def check_chunk(self, chunk: RecordChunk, *, yields: bool = False) -> ChunkResult:
        """:meth:`check` of every row of ``chunk``, in order. Rows whose text and label need
        no repair and no normalisation (found by screening whole columns at once) skip
        straight to the decision, and a plain row with a new text and a known label is
        accepted inline; the others go through :meth:`check` one by one."""
        other = rows_to_check(chunk, self.config, generation=self._generation)
        lower = self.config.normalization.lowercase
        label_map = self.config.label_map or {}
        seen, label_ids, declared = self._seen, self._label_ids, self._labels
        out = ChunkResult()
        rows, texts, labels, digests = out.rows, out.texts, out.labels, out.digests
        sha256 = hashlib.sha256
        for i, text, label in zip(range(len(chunk)), chunk.texts, chunk.labels, strict=True):
            if i in other:
                res = self.check(chunk.record(i), yields=yields)
            else:
                assert text is not None and label is not None  # screened
                text = text.lower() if lower else text
                label = label_map.get(label, label)
                digest = sha256(text.encode()).digest()
                lid = label_ids.get(label)
                if (
                    lid is not None
                    and digest not in seen
                    and (declared is None or label in declared)
                ):
                    seen[digest] = lid  # the common case, as _decide takes it
                    if yields:
                        self._yielding.add(digest)
                    rows.append(i)
                    texts.append(text)
                    labels.append(label)
                    digests.append(digest)
                    continue
                res = self._decide(text, label, [], None, yields)
            if isinstance(res, Accepted):
                out.accept(i, res)
            else:
                out.rejected.append((i, res))
        return out

    def _prepare(self, rec: RawRecord) -> tuple[str, str | None, list[str]] | Rejected:
        """The row's text repaired and normalised, its label cleaned, the repairs made; or
        why the row is refused before its text is looked up."""
        if rec.problem is not None:
            return Rejected(rec.problem, rec.detail)
        repaired = self._repair(rec)
        if isinstance(repaired, Rejected):
            return repaired
        raw, repairs = repaired
        label = rec.label
        if label is not None:
            if (bad := self._unusable(label, "label")) is not None:
                return bad
            label = strip_controls(label).strip() or None
            if label is not None and self.config.label_map is not None:
                label = self.config.label_map.get(label, label)
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
        return text, label, repairs

    def _decide(
        self, text: str, label: str | None, repairs: list[str], rec: RawRecord | None, yields: bool
    ) -> Accepted | Rejected:
        """Accept a repaired, normalised row or say why not: its label, then whether its text
        was seen before (a duplicate, or a conflict), then the filters."""
        if self._generation:
            return self._accept_text(text, label or "", repairs, rec)
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
            if (bad := self._filtered(text, rec)) is not None:
                return bad
            self._seen[digest] = label_id
            if yields:
                self._yielding.add(digest)
            if repairs:
                self.repairs.update(repairs)
            return Accepted(text, label, digest, tuple(repairs))
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
        if yields and digest not in self._yielding:
            return Rejected(
                RejectReason.CONFLICTING_LABEL,
                f"contradicts the label {first_label!r} of a row that is kept (unreviewed "
                "feedback yields to the dataset)",
            )
        self._conflicts[digest] = {first_label, label}
        return Rejected(
            RejectReason.CONFLICTING_LABEL, f"same text as an earlier row labelled {first_label!r}"
        )

    def _filtered(self, text: str, rec: RawRecord | None) -> Rejected | None:
        """The language and near-duplicate filters, on a text not seen before."""
        if self.config.languages:
            lang, prob = detect_language(text)
            if lang not in self.config.languages:
                return Rejected(
                    RejectReason.WRONG_LANGUAGE,
                    f"identified as {lang!r} (p={prob:.2f}), not one of "
                    f"{list(self.config.languages)}",
                )
        if self._near is not None and rec is not None:  # (plain rows: no near-duplicates asked)
            earlier = self._near.check(text, f"{rec.source}:{rec.line}")
            if earlier is not None:
                return Rejected(
                    RejectReason.NEAR_DUPLICATE,
                    f"near-duplicate of {earlier} (MinHash Jaccard >= "
                    f"{self.config.near_duplicates})",
                )
        return None

    def _accept_text(
        self, text: str, prompt: str, repairs: list[str], rec: RawRecord | None
    ) -> Accepted | Rejected:
        """A generation row: a text is kept once, whatever its prompt."""
        digest = hashlib.sha256(text.encode("utf-8")).digest()
        if digest in self._prompts:
            return Rejected(RejectReason.EXACT_DUPLICATE, "same normalised text as an earlier row")
        if (bad := self._filtered(text, rec)) is not None:
            return bad
        self._prompts[digest] = prompt
        self.repairs.update(repairs)
        return Accepted(text, prompt, digest, tuple(repairs))

    def conflicting(self) -> dict[bytes, set[str]]:
        """Digests of texts seen with more than one label: their first rows must be removed."""
        return self._conflicts

    def rare_labels(self) -> dict[str, int]:
        """Labels with fewer surviving rows than ``min_rows_per_label`` (their counts): their
        rows must be removed. Marks them, so :meth:`surviving` leaves them out."""
        least = self.config.min_rows_per_label
        if least is None or self._generation:
            return {}
        counts = Counter(
            self._label_names[i] for d, i in self._seen.items() if d not in self._conflicts
        )
        self._rare = {lab: n for lab, n in counts.items() if n < least}
        return dict(self._rare)

    def surviving(self) -> dict[str, list[bytes]]:
        """The text digests of the rows that stay accepted, by label (prompt, for a generation
        corpus), for fingerprinting."""
        if self._generation:
            by_prompt: dict[str, list[bytes]] = {}
            for d, prompt in self._prompts.items():
                by_prompt.setdefault(prompt, []).append(d)
            return by_prompt
        import numpy as np

        digests = list(self._seen)
        ids = np.fromiter(self._seen.values(), np.int64, len(digests))
        if self._conflicts:
            contested = np.fromiter((d in self._conflicts for d in digests), bool, len(digests))
            ids[contested] = -1
        order = np.argsort(ids, kind="stable")  # grouped by label id, -1 (contested) first
        bounds = np.searchsorted(ids[order], np.arange(len(self._label_names) + 1))
        out: dict[str, list[bytes]] = {}
        for i, name in enumerate(self._label_names):
            if name not in self._rare and bounds[i + 1] > bounds[i]:
                out[name] = [digests[k] for k in order[bounds[i] : bounds[i + 1]].tolist()]
        return out
