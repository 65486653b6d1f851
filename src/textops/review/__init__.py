"""The human loop: a label audit that finds the labels that are probably wrong, and a review
queue that asks people for the labels worth having."""

from textops.review._audit import AUDIT_FILTERS, AuditReport, Suspect, audit_labels
from textops.review._audit_html import write_audit_html
from textops.review._config import STRATEGIES, AuditConfig, ReviewConfig
from textops.review._dataset import (
    DatasetAudit,
    apply_review,
    audit_dataset,
    quarantine_suspects,
)
from textops.review._loop import ReviewSession, open_review
from textops.review._oof import OutOfFold, default_embedder, out_of_fold
from textops.review._queue import ReviewItem, ReviewQueue, build_queue

__all__ = [
    "AUDIT_FILTERS",
    "STRATEGIES",
    "AuditConfig",
    "AuditReport",
    "DatasetAudit",
    "OutOfFold",
    "ReviewConfig",
    "ReviewItem",
    "ReviewQueue",
    "ReviewSession",
    "Suspect",
    "apply_review",
    "audit_dataset",
    "audit_labels",
    "build_queue",
    "default_embedder",
    "open_review",
    "out_of_fold",
    "quarantine_suspects",
    "write_audit_html",
]
