"""Which columns of a file hold the text, the label, an id and a timestamp, and how their
values become strings.

Columns are found by their usual names (``text``, ``message``, ``tweet``...; ``label``,
``sentiment``, ``queue``...), case-insensitively, unless the user names them; ``ticket_id``
and the like are the id when exactly one column is so named.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from textops._option import option
from textops.errors import DataFormatError

__all__ = ["Columns", "as_label", "as_text", "resolve_columns", "text_column"]

TEXT_CANDIDATES = (
    "text",
    "message",
    "sentence",
    "content",
    "body",
    "review",
    "document",
    "tweet",
    "comment",
    "utterance",
    "question",
    "post",
)
LABEL_CANDIDATES = (
    "label",
    "labels",
    "class",
    "category",
    "target",
    "intent",
    "sentiment",
    "polarity",
    "emotion",
    "stance",
    "topic",
    "queue",
    "rating",
    "stars",
    "y",
)
ID_CANDIDATES = ("id",)
CREATED_CANDIDATES = ("created_at", "timestamp", "created", "date")


class Columns(NamedTuple):
    """The columns of one file that ingest reads (None: the file has no such column)."""

    text: str
    label: str | None  # None: an unlabelled corpus without a prompt column
    id: str | None
    created: str | None

    def describe(self) -> dict[str, str | None]:
        return {"text": self.text, "label": self.label, "id": self.id, "created_at": self.created}


def text_column(columns: Sequence[str]) -> str | None:
    """The column that holds the texts, by the usual names (text, message, body, tweet, ...)."""
    return _by_name(columns, TEXT_CANDIDATES)


def _by_name(columns: Sequence[str], candidates: Sequence[str]) -> str | None:
    lowered = {c.lower(): c for c in columns}
    return next((lowered[c] for c in candidates if c in lowered), None)


def _pick(
    columns: Sequence[str], wanted: str | None, candidates: Sequence[str], what: str, path: Path
) -> str | None:
    if wanted is not None:
        if wanted in columns:
            return wanted
        raise DataFormatError(
            f"{path}: no column {wanted!r} for the {what}; the file has columns "
            f"{list(columns)}. Pass the right --{what}-col."
        )
    found = _by_name(columns, candidates)
    if found is None and what == "id":
        # ticket_id, message_id, userId: the id column when it is the only one so named
        named = [c for c in columns if c.lower().endswith(("_id", "-id")) or c.endswith("Id")]
        found = named[0] if len(named) == 1 else None
    return found


def _required(found: str | None, columns: Sequence[str], what: str, path: Path) -> str:
    if found is None:
        raise DataFormatError(
            f"{path}: found no {what} column among {list(columns)}; name it: "
            + option(f"{what}_col")
        )
    return found


def resolve_columns(
    columns: Sequence[str],
    path: Path,
    *,
    text: str | None = None,
    label: str | None = None,
    id: str | None = None,
    created: str | None = None,
    label_required: bool = True,
) -> Columns:
    """The file's :class:`Columns`: the ones named, else found by name. A text or label
    column that cannot be found is a :class:`DataFormatError` saying which flag to pass.
    ``label_required=False`` (a generation corpus): the label column is only the one named."""
    t = _required(_pick(columns, text, TEXT_CANDIDATES, "text", path), columns, "text", path)
    if label_required:
        found = _pick(columns, label, LABEL_CANDIDATES, "label", path)
        lab: str | None = _required(found, columns, "label", path)
    else:
        lab = _pick(columns, label, (), "label", path) if label is not None else None
    if t == lab:
        raise DataFormatError(f"{path}: text and label cannot be the same column {t!r}")
    return Columns(
        t,
        lab,
        _pick(columns, id, ID_CANDIDATES, "id", path),
        _pick(columns, created, CREATED_CANDIDATES, "created", path),
    )


def as_label(value: object) -> str | None:
    """A label cell as a string: ``1.0`` is ``"1"``, ``True`` is ``"true"``, blank is None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bytes):
        value = value.decode("utf-8", "surrogateescape")
    text = str(value).strip()
    return text or None


def as_text(value: object) -> tuple[str | None, str]:
    """Return (text, problem detail); detail is non-empty when the value is not text-like."""
    if value is None:
        return None, ""
    if isinstance(value, str):
        return value, ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape"), ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value), ""
    return None, f"text is a {type(value).__name__}, not a string"
