"""Drift inside a running service: a window of recent traffic, compared with the serving
model's reference periodically; scores go to /metrics and an alert fires on a crossing."""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from textops._types import JSON
from textops.model import oov_rate
from textops.monitor._drift import DriftThresholds, drift_report

__all__ = ["DriftMonitor"]

log = logging.getLogger("textops.monitor")


class DriftMonitor:
    def __init__(
        self,
        *,
        window: int = 1000,
        thresholds: DriftThresholds | None = None,
        webhook: str | None = None,
        metrics: Any | None = None,
        permutations: int = 30,
        on_alert: Callable[[JSON], None] | None = None,
    ) -> None:
        self.window = window
        self.thresholds = thresholds or DriftThresholds()
        self.webhook = webhook
        self.metrics = metrics
        self.permutations = permutations
        #: called with each alert (``serve --on-drift retrain`` queues a retrain here)
        self.on_alert = on_alert
        self.last: JSON | None = None
        self.alerts: list[JSON] = []
        self._rows: collections.deque[tuple[str, int, float, Any]] = collections.deque(
            maxlen=window
        )
        self._version: str | None = None
        self._lock = threading.Lock()
        self._vocab: frozenset[str] = frozenset()
        self._drifting: set[str] = set()

    def observe(
        self, model: Any, texts: Sequence[str], vectors: Any, labels: Sequence[str]
    ) -> None:
        """Called by the model thread after each batch."""
        ref = model.reference
        if ref is None:
            return
        with self._lock:
            key = f"{model.name}:{model.version}:{model.uri}"
            if key != self._version:  # another model: another reference, a fresh window
                self._rows.clear()
                self._version = key
                self._vocab = ref.vocab_set
            dense = isinstance(vectors, np.ndarray)
            for i, (text, label) in enumerate(zip(texts, labels, strict=True)):
                vec = vectors[i].copy() if dense else None
                self._rows.append((label, len(text), oov_rate(text, self._vocab), vec))

    def compute(self, model: Any) -> JSON:
        if model.reference is None:
            report: JSON = {
                "drift": False,
                "note": "this model version has no drift reference (registered before textops "
                "saved one); run the search again to register a version with it",
                "tests": {},
            }
        else:
            with self._lock:
                rows = list(self._rows)
            vecs = [r[3] for r in rows if r[3] is not None]
            report = drift_report(
                model.reference,
                labels=[r[0] for r in rows],
                lengths=[r[1] for r in rows],
                oov=[r[2] for r in rows],
                vectors=np.vstack(vecs) if len(vecs) == len(rows) and vecs else None,
                thresholds=self.thresholds,
                permutations=self.permutations,
            )
        report.update(model={"name": model.name, "version": model.version}, computed_at=time.time())
        self.last = report
        self._publish(report)
        return report

    def _publish(self, report: JSON) -> None:
        if self.metrics is not None:
            model = str((report.get("model") or {}).get("name") or "")
            for name, t in report.get("tests", {}).items():
                score = t.get("psi", t.get("domain_auc", t.get("ks_statistic")))
                self.metrics.drift_score.labels(model, name).set(score)
                self.metrics.drift_detected.labels(model, name).set(1 if t["drifted"] else 0)
        now = {n for n, t in report.get("tests", {}).items() if t["drifted"]}
        crossed = sorted(now - self._drifting)
        self._drifting = now
        if crossed:
            event = {
                "event": "textops.drift",
                "tests": crossed,
                "model": report.get("model"),
                "scores": {n: report["tests"][n] for n in crossed},
                "at": report.get("computed_at"),
            }
            self.alerts.append(event)
            log.warning(
                "DRIFT ALERT: %s crossed the threshold for %s", ", ".join(crossed), event["model"]
            )
            if self.metrics is not None:
                self.metrics.drift_alerts.inc()
            if self.webhook:
                threading.Thread(target=self._post, args=(event,), daemon=True).start()
            if self.on_alert is not None:
                self.on_alert(event)

    def _post(self, event: JSON) -> None:
        import httpx2 as httpx

        try:
            httpx.post(self.webhook or "", json=event, timeout=5).raise_for_status()
        except Exception as exc:  # an alert channel failing must not hurt serving
            log.warning("drift webhook %s failed: %s", self.webhook, exc)
