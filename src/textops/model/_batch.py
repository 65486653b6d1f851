"""Batch prediction over a user's own file: every row predicted, every input column kept, the
predictions appended under names that cannot collide (``predicted_label``, ``proba_<label>``,
with an optional prefix)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from textops._option import option
from textops._text import lone_surrogate
from textops._types import JSON
from textops.data import read_table, text_column, write_table
from textops.errors import DataFormatError
from textops.model._classifier import TextClassifier

__all__ = ["BatchPrediction", "predict_file"]


@dataclass(frozen=True)
class BatchPrediction:
    rows: int
    output: str
    format: str
    text_column: str
    columns: list[str]  # the columns added
    rows_without_text: int  # a null, empty or blank text: no prediction in that row
    rows_invalid_text: int  # a lone surrogate: predicted with U+FFFD in its place
    #: the encoding the file was read with, and why (the model's own, detected, given)
    encoding: str | None = None
    encoding_note: str = ""
    encoding_confident: bool = True

    @property
    def predicted(self) -> int:
        """Rows that got a prediction."""
        return self.rows - self.rows_without_text

    def as_json(self) -> JSON:
        return {**asdict(self), "predicted": self.predicted}


def predict_file(
    clf: TextClassifier,
    source: Path,
    output: Path,
    *,
    text_col: str | None,
    prefix: str = "",
    predict_proba: Callable[[list[str]], np.ndarray] | None = None,
    encoding: str = "auto",
) -> BatchPrediction:
    """Predict every row of ``source`` into ``output`` (same format), keeping its columns;
    ``predict_proba`` replaces ``clf``'s own (a cluster's workers predicting partitions).
    The file is read as the model's training files were (``encoding`` auto: a file that is
    not Unicode in the model's own encoding); a row whose text is empty or blank gets no
    prediction (like a missing one), and is counted."""
    prefer = clf.decoding.encoding if clf.decoding is not None else None
    table = read_table(source, encoding, prefer=prefer)
    col = text_col or text_column(table.columns)
    if col is None or col not in table.columns:
        raise DataFormatError(
            f"{source}: no text column among {table.columns}; name it: " + option("text_col")
        )
    values = table.column(col)
    rows = [i for i, v in enumerate(values) if v is not None and str(v).strip()]
    texts = [str(values[i]) for i in rows]
    invalid = [i for i, t in enumerate(texts) if lone_surrogate(t) is not None]
    # the model repairs lone surrogates
    proba = (predict_proba or clf.predict_proba)(texts) if texts else None
    n = table.num_rows
    label: list[str | None] = [None] * n
    probs: dict[str, list[float | None]] = {lab: [None] * n for lab in clf.labels}
    for k, i in enumerate(rows):
        assert proba is not None
        label[i] = clf.labels[int(proba[k].argmax())]
        for j, lab in enumerate(clf.labels):
            probs[lab][i] = float(proba[k, j])
    new: dict[str, list[Any]] = {f"{prefix}predicted_label": list(label)}
    new.update({f"{prefix}proba_{lab}": v for lab, v in probs.items()})
    write_table(table.append(new), output)
    return BatchPrediction(
        rows=n,
        output=str(output),
        format=table.format,
        text_column=col,
        columns=list(new),
        rows_without_text=n - len(rows),
        rows_invalid_text=len(invalid),
        encoding=None if table.encoding is None else table.encoding.encoding,
        encoding_note="" if table.encoding is None else table.encoding.note,
        encoding_confident=True if table.encoding is None else table.encoding.confident,
    )
