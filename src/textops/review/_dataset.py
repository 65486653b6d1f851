"""The audit of a stored dataset version, and moving its suspects to the quarantine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textops.review._audit import AuditReport, audit_labels
from textops.review._oof import default_embedder, out_of_fold

if TYPE_CHECKING:
    import numpy as np

    from textops.data import Dataset
    from textops.embed import EmbeddingCache
    from textops.model import TextClassifier

__all__ = ["DatasetAudit", "apply_review", "audit_dataset", "quarantine_suspects"]


@dataclass(frozen=True)
class DatasetAudit:
    """An audit of one dataset version: the report (each suspect's ``row`` is its place in
    the version's data file)."""

    dataset: str
    version: str
    split: str | None
    report: AuditReport
    #: the out-of-fold probabilities the report came from (columns ``report.classes``)
    probabilities: np.ndarray


def audit_dataset(
    dataset: Dataset,
    *,
    split: str | None = None,
    embedder: str | None = None,
    model: TextClassifier | None = None,
    filter_by: str = "both",
    folds: int = 5,
    seed: int = 0,
    cache: EmbeddingCache | None = None,
    home: str | Path | None = None,
    show_progress: bool | None = None,
) -> DatasetAudit:
    """Out-of-fold probabilities of the rows of ``dataset`` (of ``split``, every split when
    None), then :func:`audit_labels`."""
    import pyarrow as pa

    from textops.errors import DataFormatError

    if dataset.task != "classification":
        raise DataFormatError(
            f"{dataset.name} is a {dataset.task} corpus: the audit checks labels, it has none"
        )
    table = dataset.table(["text", "label", "split", "text_sha256"])
    table = table.append_column("position", pa.array(range(table.num_rows)))
    if split is not None:
        table = table.filter(pa.compute.equal(table["split"], split))
    texts = [str(t) for t in table["text"].to_pylist()]
    labels = [str(t) for t in table["label"].to_pylist()]
    if len(set(labels)) < 2:
        raise DataFormatError(
            f"{dataset.name}: the audit needs at least two labels among the rows audited"
        )
    oof = out_of_fold(
        texts, labels, table["text_sha256"].to_pylist(),
        embedder=embedder or default_embedder(dataset.language), model=model, folds=folds,
        seed=seed, cache=cache, home=home, show_progress=show_progress,
    )  # fmt: skip
    report = audit_labels(texts, labels, oof, filter_by=filter_by,
                          rows=table["position"].to_pylist())  # fmt: skip
    return DatasetAudit(
        dataset.name,
        dataset.version,
        split,
        report,
        oof.probabilities,
    )


def quarantine_suspects(audit: DatasetAudit, *, home: str | Path | None = None) -> Dataset:
    """A new version of the audited dataset without its label suspects (quarantined with
    reason ``suspect_label``: given, suggested, confidence, signals), made the latest."""
    from textops.data import DatasetStore, MovedRow, RejectReason, derive_version

    parent = DatasetStore(home).get(audit.dataset, audit.version)
    moved = [
        MovedRow(
            s.row,
            RejectReason.SUSPECT_LABEL,
            f"given {s.given!r}, suggested {s.suggested!r} (p={s.confidence:.2f}; "
            f"{', '.join(s.signals)})",
        )
        for s in audit.report.label_suspects
    ]
    return derive_version(parent, moved=moved, home=home, by="textops data audit --quarantine")


def apply_review(
    audit: DatasetAudit,
    answers: dict[int, str | None],
    reviewer: str,
    *,
    quarantine_rest: bool = False,
    home: str | Path | None = None,
) -> Dataset | None:
    """A person's answers on the audit's label suspects (by suspect row: the right label, or
    None when skipped) as a new version: a changed label is relabelled, a confirmed one kept;
    with ``quarantine_rest``, the suspects nobody answered are quarantined. None when nothing
    changes."""
    from textops.data import DatasetStore, MovedRow, RejectReason, RelabelledRow, derive_version

    relabelled, moved = [], []
    for s in audit.report.label_suspects:
        answer = answers.get(s.row)
        if answer is not None and answer != s.given:
            relabelled.append(RelabelledRow(s.row, answer,
                                            f"reviewed by {reviewer}: was {s.given!r}"))  # fmt: skip
        elif answer is None and quarantine_rest:
            moved.append(MovedRow(s.row, RejectReason.SUSPECT_LABEL,
                                  f"not reviewed; given {s.given!r}, suggested {s.suggested!r}"))  # fmt: skip
    if not relabelled and not moved:
        return None
    parent = DatasetStore(home).get(audit.dataset, audit.version)
    return derive_version(parent, moved=moved, relabelled=relabelled, home=home,
                          by=f"textops data audit --review (reviewer {reviewer})")  # fmt: skip
