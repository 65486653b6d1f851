"""Time buckets of the prediction log for the dashboard: traffic, latency, label mix, accuracy."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from textops.monitor._store import MonitorStore

__all__ = ["Timeseries", "timeseries"]


@dataclass(frozen=True)
class Timeseries:
    """Per time bucket (``t``: its centre, unix time): requests, latency percentiles (None in
    an empty bucket), the predicted-label mix and live accuracy; ``n`` predictions and
    ``n_feedback`` labels in all."""

    t: list[float]
    requests: list[int]
    latency_p50_ms: list[float | None]
    latency_p95_ms: list[float | None]
    label_mix: dict[str, list[int]]
    accuracy: list[float | None]
    n: int
    n_feedback: int


def timeseries(
    store: MonitorStore,
    *,
    since_seconds: float = 3600.0,
    buckets: int = 30,
    model_name: str | None = None,
    model_version: str | None = None,
) -> Timeseries:
    """Buckets of the log of one model (version) when named."""
    now = time.time()
    start = now - since_seconds
    rows = store.recent(since=start, model_name=model_name, model_version=model_version)
    labelled = store.labelled(since=start, model_name=model_name, model_version=model_version)
    edges = np.linspace(start, now, buckets + 1)
    centers = ((edges[:-1] + edges[1:]) / 2).tolist()
    ts = np.array([r["ts"] for r in rows], dtype=float)
    idx = np.clip(np.digitize(ts, edges) - 1, 0, buckets - 1) if len(ts) else np.array([], int)
    lat = np.array([r["latency_ms"] or 0.0 for r in rows], dtype=float)
    counts = np.bincount(idx, minlength=buckets).tolist() if len(ts) else [0] * buckets

    def q(p: float) -> list[float | None]:
        return [
            float(np.percentile(lat[idx == i], p)) if (idx == i).any() else None
            for i in range(buckets)
        ]

    labels = sorted({r["label"] for r in rows})
    mix = {
        lab: np.bincount(idx[[r["label"] == lab for r in rows]], minlength=buckets).tolist()
        for lab in labels
    }
    acc: list[float | None] = [None] * buckets
    if labelled:
        lt = np.array([x[2] for x in labelled], dtype=float)
        ok = np.array([x[0] == x[1] for x in labelled], dtype=float)
        li = np.clip(np.digitize(lt, edges) - 1, 0, buckets - 1)
        acc = [float(ok[li == i].mean()) if (li == i).any() else None for i in range(buckets)]
    return Timeseries(
        t=centers,
        requests=counts,
        latency_p50_ms=q(50),
        latency_p95_ms=q(95),
        label_mix=mix,
        accuracy=acc,
        n=len(rows),
        n_feedback=len(labelled),
    )
