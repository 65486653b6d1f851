"""The label audit: which rows of a labelled set are probably labelled wrong.

Three signals, each over out-of-fold probabilities (``_oof``):

- confident learning (Northcutt, Jiang and Chuang, 2021) through cleanlab's
  ``find_label_issues``: a row whose given label's probability is below that label's own
  average confidence while another class is above its own, pruned by ``filter_by``
  (default ``both``: in bench/audit.py it found the flipped labels at least as well as
  cleanlab's default on every built-in set, better on some);
- near-duplicates that disagree: two texts almost the same (cosine >= ``duplicate_cosine``)
  with different labels; the one whose label the held-out head believes less is the suspect
  when the head's own pick for it is another label;
- outliers: rows far from every other row (mean distance to the nearest neighbours in the top
  ``outlier_share``), listed for a look but never moved: odd is not wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from textops._packages import require
from textops.review._oof import OutOfFold

if TYPE_CHECKING:
    import numpy as np

__all__ = ["AUDIT_FILTERS", "AuditReport", "Suspect", "audit_labels"]

#: cleanlab's ways of counting a row as an issue (``filter_by``); bench/audit.py compares them
AUDIT_FILTERS = (
    "prune_by_noise_rate",
    "prune_by_class",
    "both",
    "confident_learning",
    "predicted_neq_given",
)
Signal = Literal["confident_learning", "near_duplicate", "outlier"]


@dataclass(frozen=True)
class Suspect:
    """A row whose label looks wrong (or, for an outlier only, whose text looks out of
    place): its row number (as given to :func:`audit_labels`), text, given and suggested label, the held-out
    head's probability of each, and the signals that flagged it."""

    row: int
    text: str
    given: str
    suggested: str
    #: the held-out probability of the suggested label (the audit's confidence it is right)
    confidence: float
    #: the held-out probability of the given label (low: the label looks wrong)
    label_quality: float
    signals: tuple[Signal, ...]
    #: for a near-duplicate: the row it nearly repeats
    twin: int | None = None

    @property
    def label_suspect(self) -> bool:
        """Flagged as a wrong label (an outlier alone is not)."""
        return any(s != "outlier" for s in self.signals)


@dataclass(frozen=True)
class AuditReport:
    """Every suspect, worst label first, with the counts and how the probabilities were
    made."""

    rows: int
    suspects: list[Suspect]
    classes: list[str]
    embedder: str
    head: str
    folds: int
    filter_by: str
    seconds: float
    #: rows flagged by each signal
    by_signal: dict[str, int] = field(default_factory=dict)

    @property
    def label_suspects(self) -> list[Suspect]:
        return [s for s in self.suspects if s.label_suspect]


def _cleanlab(y: np.ndarray, proba: np.ndarray, filter_by: str) -> np.ndarray:
    import numpy as np

    require("review", "the label audit", "cleanlab")
    from cleanlab.filter import find_label_issues

    return np.asarray(find_label_issues(y, proba, filter_by=filter_by), dtype=bool)


def _unit_rows(features: Any) -> Any:
    from sklearn.preprocessing import normalize

    return normalize(features)


def _neighbours(features: Any, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``k`` nearest other rows by cosine (indices, similarities), in blocks so
    memory stays at a block times the rows."""
    import numpy as np

    X = _unit_rows(features)
    n = X.shape[0]
    k = min(k, n - 1)
    idx = np.zeros((n, k), dtype=np.int64)
    sim = np.zeros((n, k), dtype=np.float64)
    block = max(1, 2_000_000 // max(n, 1))
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        S = X[lo:hi] @ X.T
        S = np.asarray(S.todense() if hasattr(S, "todense") else S, dtype=np.float64)
        S[np.arange(hi - lo), np.arange(lo, hi)] = -np.inf  # not its own neighbour
        top = np.argpartition(-S, k - 1, axis=1)[:, :k]
        vals = np.take_along_axis(S, top, axis=1)
        order = np.argsort(-vals, axis=1)
        idx[lo:hi] = np.take_along_axis(top, order, axis=1)
        sim[lo:hi] = np.take_along_axis(vals, order, axis=1)
    return idx, sim


def audit_labels(
    texts: Sequence[str],
    labels: Sequence[str],
    oof: OutOfFold,
    *,
    filter_by: str = "both",
    duplicate_cosine: float = 0.95,
    outlier_share: float = 0.01,
    neighbours: int = 5,
    rows: Sequence[int] | None = None,
) -> AuditReport:
    """Suspects among ``labels`` (row for row with ``texts`` and ``oof``), numbered by
    ``rows`` (e.g. their places in a dataset's file; default: their order here)."""
    import numpy as np

    if filter_by not in AUDIT_FILTERS:
        raise ValueError(f"filter_by must be one of {AUDIT_FILTERS}, not {filter_by!r}")
    cls = {c: i for i, c in enumerate(oof.classes)}
    y = np.asarray([cls[str(lab)] for lab in labels], dtype=np.int64)
    P = oof.probabilities
    quality = P[np.arange(len(y)), y]
    flags: dict[int, set[Signal]] = {}
    twins: dict[int, int] = {}
    for i in np.flatnonzero(_cleanlab(y, P, filter_by)):
        flags.setdefault(int(i), set()).add("confident_learning")
    suggested = P.argmax(axis=1)
    if len(y) > 2:
        idx, sim = _neighbours(oof.features, neighbours)
        for i, j in zip(*np.nonzero(sim >= duplicate_cosine), strict=True):
            a, b = int(i), int(idx[i, j])
            worse = a if quality[a] <= quality[b] else b
            # the held-out head must also disbelieve it: two near-copies of a text that is
            # truly ambiguous may carry either label
            if y[a] != y[b] and suggested[worse] != y[worse]:
                flags.setdefault(worse, set()).add("near_duplicate")
                twins[worse] = b if worse == a else a
        distance = 1.0 - sim.mean(axis=1)
        n_out = round(outlier_share * len(y))
        for i in np.argsort(-distance)[:n_out]:
            flags.setdefault(int(i), set()).add("outlier")
    number = list(range(len(y))) if rows is None else list(rows)
    suspects = [
        Suspect(
            row=number[i],
            text=str(texts[i]),
            given=oof.classes[y[i]],
            suggested=oof.classes[suggested[i]],
            confidence=float(P[i, suggested[i]]),
            label_quality=float(quality[i]),
            signals=tuple(sorted(flags[i])),
            twin=None if i not in twins else number[twins[i]],
        )
        for i in flags
    ]
    suspects.sort(key=lambda s: (not s.label_suspect, s.label_quality))
    counts = {s: sum(s in f for f in flags.values()) for s in ("confident_learning",
              "near_duplicate", "outlier")}  # fmt: skip
    return AuditReport(
        rows=len(y), suspects=suspects, classes=oof.classes, embedder=oof.embedder,
        head=oof.head, folds=oof.folds, filter_by=filter_by, seconds=oof.seconds,
        by_signal=counts,
    )  # fmt: skip
