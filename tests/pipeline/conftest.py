from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.conftest import topic_rows


def write_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["body", "queue"])
        w.writerows(rows)
    return path


FAST_SEARCH = {"embedders": ["fake"], "heads": ["logreg"], "trials": 2, "cv_folds": 3}


def write_pipeline(folder: Path, text: str) -> Path:
    path = folder / "pipeline.yaml"
    path.write_text(text, "utf-8")
    return path


@pytest.fixture
def tickets(tmp_path: Path, home: Path) -> Path:
    """The issue's minimal pipeline file, next to data/tickets.csv (300 topic rows)."""
    write_csv(tmp_path / "data" / "tickets.csv", topic_rows(300))
    return write_pipeline(
        tmp_path,
        "name: tickets\n"
        "sources:\n"
        "  - {path: data/tickets.csv, text_col: body, label_col: queue}\n"
        "search: {timeout: 300}\n"
        "gate: {mode: significant, alpha: 0.05}\n"
        "register: {model_name: tickets}\n",
    )


def fast(*extra: str) -> list[str]:
    """Overrides that keep a test's search to seconds."""
    return [
        "search.embedders=[fake]",
        "search.heads=[logreg]",
        "search.trials=2",
        "search.cv_folds=3",
        *extra,
    ]
