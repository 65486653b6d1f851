"""Predictions made elsewhere (an LLM asked directly, another system, last year's model) read
from a file, to be assessed next to textops models on the same rows.

A CSV, TSV, JSONL or Parquet file with a label column (``predicted_label``, as
``textops predict --input`` writes it, or ``prediction`` or ``label``) and, optionally,
``proba_<label>`` columns. With a ``text`` column rows are matched to the split by text;
without one they are taken in the split's order and must be as many."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from textops.errors import ConfigError
from textops.explain._assess import Candidate

__all__ = ["LABEL_COLUMNS", "read_predictions"]

LABEL_COLUMNS = ("predicted_label", "prediction", "label")


def _frame(path: Path):  # type: ignore[no-untyped-def]
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix in (".jsonl", ".ndjson"):
        return pd.read_json(path, lines=True, dtype=False)
    return pd.read_csv(
        path, sep="\t" if suffix == ".tsv" else ",", dtype=str, keep_default_na=False
    )


def read_predictions(path: str | Path, texts: Sequence[str]) -> Candidate:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"--predictions: no file {path}")
    df = _frame(path)
    col = next((c for c in LABEL_COLUMNS if c in df.columns), None)
    if col is None:
        raise ConfigError(
            f"--predictions {path}: no label column; name it one of {', '.join(LABEL_COLUMNS)} "
            f"(columns: {', '.join(map(str, df.columns))})"
        )
    if "text" in df.columns:
        by_text = dict(zip(df["text"].astype(str), range(len(df)), strict=True))
        missing = [t for t in texts if t not in by_text]
        if missing:
            raise ConfigError(
                f"--predictions {path}: {len(missing):,} of the split's {len(texts):,} texts have "
                f"no row (first: {missing[0][:60]!r}); predict every text of the split"
            )
        order = [by_text[t] for t in texts]
    else:
        if len(df) != len(texts):
            raise ConfigError(
                f"--predictions {path}: {len(df):,} rows for a split of {len(texts):,}; add a "
                "text column to match rows by text, or give one row per text in split order"
            )
        order = list(range(len(df)))
    predicted = [str(v) for v in df[col].iloc[order]]
    labels = [c.removeprefix("proba_") for c in df.columns if str(c).startswith("proba_")]
    proba = None
    if labels:
        proba = df[[f"proba_{lab}" for lab in labels]].iloc[order].to_numpy(dtype=float)
        proba = proba / np.maximum(proba.sum(axis=1, keepdims=True), 1e-12)
    return Candidate(
        name=path.name, source="file", predicted=predicted, proba=proba,
        labels=labels or None,
    )  # fmt: skip
