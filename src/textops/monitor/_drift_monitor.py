"""Drift inside a running service: a window of recent traffic, compared with the serving
model's reference periodically; scores go to /metrics and an alert fires on a crossing."""

from __future__ import annotations

import collections
import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from textops.model import oov_rate
from textops.monitor._drift import drift_report
from textops.monitor._drift_types import DriftAlert, DriftReport, DriftThresholds, ReportedModel
from textops.monitor._metrics import MonitorMetrics
from textops.monitor._served import MonitoredModel

__all__ = ["DriftMonitor"]

log = logging.getLogger("textops.monitor")


class DriftMonitor:
    def __init__(
        self,
        *,
        window: int = 1000,
        thresholds: DriftThresholds | None = None,
        webhook: str | None = None,
        metrics: MonitorMetrics | None = None,
        permutations: int = 30,
        on_alert: Callable[[DriftAlert], None] | None = None,
    ) -> None:
        self.window = window
        self.thresholds = thresholds or DriftThresholds()
        self.webhook = webhook
        self.metrics = metrics
        self.permutations = permutations
        #: called with each alert (``serve --on-drift retrain`` queues a retrain here)
        self.on_alert = on_alert
        self.last: DriftReport | None = None
        self.alerts: list[DriftAlert] = []
        self._rows: collections.deque[tuple[str, int, float, Any]] = collections.deque(
            maxlen=window
        )
        self._version: str | None = None
        self._lock = threading.Lock()
        self._vocab: frozenset[str] = frozenset()
        self._drifting: set[str] = set()

    def observe(
        self,
        model: MonitoredModel,
        texts: Sequence[str],
        vectors: np.ndarray | None,
        labels: Sequence[str],
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
            for i, (text, label) in enumerate(zip(texts, labels, strict=True)):
                vec = vectors[i].copy() if vectors is not None else None
                self._rows.append((label, len(text), oov_rate(text, self._vocab), vec))

    def compute(self, model: MonitoredModel) -> DriftReport:
        if model.reference is None:
            report = DriftReport(
                drift=False,
                n_current=0,
                thresholds=self.thresholds,
                note="this model version has no drift reference (registered before textops "
                "saved one); run the search again to register a version with it",
            )
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
        report = dataclasses.replace(
            report, model=ReportedModel(model.name, model.version), computed_at=time.time()
        )
        self.last = report
        self._publish(report)
        return report

    def _publish(self, report: DriftReport) -> None:
        if self.metrics is not None:
            model = str(report.model.name or "") if report.model is not None else ""
            for name, t in report.tests.items():
                self.metrics.drift_score.labels(model, name).set(t.score)
                self.metrics.drift_detected.labels(model, name).set(1 if t.drifted else 0)
        now = set(report.drifting)
        crossed = sorted(now - self._drifting)
        self._drifting = now
        if crossed:
            event = DriftAlert(
                tests=crossed,
                model=report.model,
                scores={n: report.tests[n] for n in crossed},
                at=report.computed_at,
            )
            self.alerts.append(event)
            log.warning(
                "DRIFT ALERT: %s crossed the threshold for %s", ", ".join(crossed), event.model
            )
            if self.metrics is not None:
                self.metrics.drift_alerts.inc()
            if self.webhook:
                threading.Thread(target=self._post, args=(event,), daemon=True).start()
            if self.on_alert is not None:
                self.on_alert(event)

    def _post(self, event: DriftAlert) -> None:
        import httpx2 as httpx

        try:
            httpx.post(self.webhook or "", json=event.as_json(), timeout=5).raise_for_status()
        except Exception as exc:  # an alert channel failing must not hurt serving
            log.warning("drift webhook %s failed: %s", self.webhook, exc)
