"""The monitoring side of a running service: log predictions, take feedback, score live.

Predictions are logged asynchronously (the request path appends to a buffer; a crash loses
what was not yet written, and the signed ids of ``_ids`` keep those predictions open to
feedback after a restart). Feedback is acknowledged only once it is durable: written to the
database in a synced commit or, while the database is down, to a spill file synced to disk;
when neither can take it, the call answers 503 and nothing is acknowledged.

Every read is of one model (and version): a service that serves several, or a home shared by
several services, never mixes their figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textops._home import home_dir
from textops._redact import redact_text
from textops._util import sha256_text
from textops.monitor._drift_types import ReportedModel
from textops.monitor._ids import PredictionIds, name_tag
from textops.monitor._log import PredictionLog
from textops.monitor._metrics import MonitorMetrics
from textops.monitor._performance import LivePerformance, live_performance
from textops.monitor._records import FeedbackRecord, PredictionRecord
from textops.monitor._served import MonitoredModel
from textops.monitor._store import STUB_CHARS, MonitorStore, PredictionRef, default_monitor_url

if TYPE_CHECKING:
    import numpy as np

__all__ = ["MonitorService", "Provenance", "key_fingerprint", "spill_folder"]


@dataclass(frozen=True)
class Provenance:
    """Who sent a feedback call: the key's fingerprint (never the key), the client address,
    and the reviewer when a person reviewed the labels (admin key only)."""

    key_id: str | None
    client: str | None
    reviewer: str | None = None


def key_fingerprint(key: str | None) -> str | None:
    """A short, stable name for an API key that does not reveal it."""
    if not key:
        return None
    return "key:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def spill_folder(home: str | Path | None, url: str) -> Path:
    """Where records meant for the database at ``url`` wait while it is down: one folder per
    database, so a spill is only ever replayed into the database it was meant for."""
    digest = hashlib.sha256(redact_text(url).encode()).hexdigest()[:12]
    return home_dir(home) / "monitor" / "spill" / digest


def _model_key(model: MonitoredModel) -> str:
    """The name a model is logged under (its registered name, else its URI)."""
    return str(model.name or model.uri)


class MonitorService:
    def __init__(
        self,
        *,
        url: str | None,
        home: str | Path | None,
        log_text: bool = False,
        windows: Sequence[str] = ("100", "1000", "1h", "24h"),
        buffer_size: int = 20_000,
        metrics: MonitorMetrics | None = None,
    ) -> None:
        self.url = url or default_monitor_url(home)
        self.store = MonitorStore(self.url)
        self.log_text = log_text
        self.windows = tuple(windows)
        self.metrics = metrics
        self.ids = PredictionIds(home_dir(home) / "monitor" / "prediction-id.key")
        self.log = PredictionLog(
            self.store,
            spill_dir=spill_folder(home, self.url),
            buffer_size=buffer_size,
            metrics=metrics,
        )
        #: labels of the versions this process served, by (name, version)
        self._labels: dict[tuple[str, str], list[str]] = {}

    def start(self) -> None:
        self.log.start()

    def stop(self) -> None:
        self.log.stop()
        self.store.dispose()

    # -- predictions ----------------------------------------------------------------------------
    def served(self, model: MonitoredModel) -> None:
        """A model version now serves: remember its labels (what its ids' label indices mean),
        here and in the database (best effort: a restart records it again)."""
        key = (_model_key(model), str(model.version or ""))
        self._labels[key] = list(model.labels)
        with contextlib.suppress(Exception):  # the database may be down: known in memory
            self.store.record_model(key[0], key[1], model.labels)

    def new_ids(self, model: MonitoredModel, label_indices: list[int]) -> list[str]:
        return self.ids.new(_model_key(model), model.version, label_indices)

    def record(
        self,
        model: MonitoredModel,
        texts: Sequence[str],
        ids: Sequence[str],
        predicted: Sequence[str],
        labels: Sequence[str],
        proba: np.ndarray,
        latency_ms: float,
    ) -> None:
        """Log one request's predictions (``proba``: one row per text, columns ``labels``)."""
        now = time.time()
        name = _model_key(model)
        rows: list[PredictionRecord] = [
            {
                "prediction_id": pid,
                "ts": now,
                "model_name": name,
                "model_version": model.version,
                "text_sha256": sha256_text(t),
                "text": t if self.log_text else None,
                "text_chars": len(t),
                "label": label,
                "probabilities": dict(zip(labels, row, strict=True)),
                "latency_ms": latency_ms,
            }
            for t, pid, label, row in zip(texts, ids, predicted, proba.tolist(), strict=True)
        ]
        self.log.add("p", rows)

    # -- feedback ---------------------------------------------------------------------------
    async def feedback(
        self,
        items: Sequence[tuple[str, str]],
        model: MonitoredModel,
        who: Provenance,
        *,
        single: bool = False,
    ) -> int:
        """Check every item against ``model`` (a prediction it made, a label it has: else a
        422 naming the item; ``single``: the body held one item, not ``items``), then store
        them durably; the count stored."""
        from textops.monitor._feedback import check_items

        stubs = await check_items(self, items, model, single=single)
        now = time.time()
        rows: list[FeedbackRecord] = [
            {"prediction_id": pid, "label": lab, "ts": now, "key_id": who.key_id,
             "client": who.client, "reviewed": who.reviewer is not None,
             "reviewer": who.reviewer}
            for pid, lab in items
        ]  # fmt: skip
        await asyncio.to_thread(self._store_durably, rows, stubs)
        if self.metrics is not None:
            self.metrics.feedback.inc(len(items))
        return len(items)

    def _store_durably(self, rows: list[FeedbackRecord], stubs: list[PredictionRecord]) -> None:
        """To the database (a synced commit); while it is down, to a synced spill file; when
        neither takes it, MonitorUnavailableError (503): nothing was acknowledged."""
        from textops.errors import MonitorUnavailableError

        try:
            self.store.write_durably(rows, stubs)
            return
        except Exception as db_error:
            try:
                self.log.spill_durably([("p", s) for s in stubs] + [("f", r) for r in rows])
            except OSError as disk_error:
                if self.metrics is not None:
                    self.metrics.feedback_refused.inc()
                raise MonitorUnavailableError(
                    "feedback not stored: the monitor database refused it "
                    f"({type(db_error).__name__}) and the spill folder too ({disk_error}); "
                    "free disk space or bring the database back, then send it again"
                ) from None

    def labels_of(self, name: str, version: str) -> list[str] | None:
        """The labels of a version this service made predictions with."""
        found = self._labels.get((name, version))
        if found is None:
            found = self.store.model_labels(name, version)
            if found is not None:
                self._labels[(name, version)] = found
        return found

    def stub(self, pid: str, ref: PredictionRef, ts: float) -> PredictionRecord:
        """A prediction row rebuilt from its signed id (the logged row may have been lost)."""
        return {
            "prediction_id": pid, "ts": ts, "model_name": ref.model_name,
            "model_version": ref.model_version, "text_sha256": "", "text": None,
            "text_chars": STUB_CHARS, "label": ref.label, "probabilities": {},
            "latency_ms": None,
        }  # fmt: skip

    def tag(self, model: MonitoredModel) -> bytes:
        return name_tag(_model_key(model))

    # -- reads ----------------------------------------------------------------------------------
    async def flushed(self, wait: float = 5.0) -> bool:
        """Until everything received so far is in the database (False after ``wait`` s)."""
        return bool(await asyncio.to_thread(self.log.wait_written, self.log.enqueued, wait))

    async def performance(
        self, model: MonitoredModel, version: str | None, wait: float = 2.0
    ) -> LivePerformance:
        """Live metrics of ``model`` (of ``version``; None: every version) that include every
        prediction and feedback received before this call (the log is flushed first, for up
        to ``wait`` seconds while the database answers); ``pending_writes`` counts what had
        not reached it by then."""
        if self.log.db_up or self.log.last_error is None:
            await asyncio.to_thread(self.log.wait_written, self.log.enqueued, wait)
        name = _model_key(model)
        perf = await asyncio.to_thread(
            live_performance, self.store, model.labels, self.windows, name, version
        )
        perf = dataclasses.replace(
            perf, pending_writes=self.log.pending, model=ReportedModel(name, version)
        )
        if self.metrics is not None:
            for window, w in [("all", perf.overall), *((w.window, w) for w in perf.windows)]:
                if w.accuracy is not None and w.macro_f1 is not None:
                    self.metrics.live_accuracy.labels(name, window).set(w.accuracy)
                    self.metrics.live_macro_f1.labels(name, window).set(w.macro_f1)
        return perf
