"""The monitoring side of a running service: log predictions, take feedback, score live."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from textops._home import home_dir
from textops._types import JSON
from textops._util import sha256_text
from textops.monitor._log import PredictionLog
from textops.monitor._performance import live_performance
from textops.monitor._store import MonitorStore, default_monitor_url

__all__ = ["MonitorService"]


class MonitorService:
    def __init__(
        self,
        *,
        url: str | None,
        home: str | Path | None,
        log_text: bool = False,
        windows: Sequence[str] = ("100", "1000", "1h", "24h"),
        buffer_size: int = 20_000,
        metrics: Any | None = None,
    ) -> None:
        self.url = url or default_monitor_url(home)
        self.store = MonitorStore(self.url)
        self.log_text = log_text
        self.windows = tuple(windows)
        self.metrics = metrics
        spill = home_dir(home) / "monitor" / "spill"
        self.log = PredictionLog(
            self.store, spill_dir=spill, buffer_size=buffer_size, metrics=metrics
        )

    def start(self) -> None:
        self.log.start()

    def stop(self) -> None:
        self.log.stop()
        self.store.dispose()

    def record(
        self,
        model: Any,
        texts: Sequence[str],
        ids: Sequence[str],
        predicted: Sequence[str],
        labels: Sequence[str],
        proba: Any,
        latency_ms: float,
    ) -> None:
        """Log one request's predictions (``proba``: one row per text, columns ``labels``)."""
        now = time.time()
        rows = [
            {
                "prediction_id": pid,
                "ts": now,
                "model_name": model.name,
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

    async def feedback(self, items: Sequence[tuple[str, str]], labels: Sequence[str]) -> int:
        """Queue feedback (idempotent per prediction id); unknown ids or labels are refused."""
        from textops.errors import InvalidLabelError, UnknownPredictionError

        bad = sorted({lab for _, lab in items} - set(labels))
        if bad:
            raise InvalidLabelError(
                f"unknown label(s) {bad}; the model's labels are {list(labels)}"
            )
        unknown = [pid for pid, _ in items if self.log.known(pid) is None]
        if unknown:
            # a database that cannot answer raises MonitorUnavailableError (503) from the store
            found = await asyncio.to_thread(self.store.find_predictions, unknown)
            missing = [pid for pid in unknown if pid not in found]
            if missing:
                raise UnknownPredictionError(
                    f"unknown prediction_id(s) {missing[:5]}: use the ids /v1/predict returned"
                )
        now = time.time()
        self.log.add("f", [{"prediction_id": pid, "label": lab, "ts": now} for pid, lab in items])
        if self.metrics is not None:
            self.metrics.feedback.inc(len(items))
        return len(items)

    async def flushed(self, wait: float = 5.0) -> bool:
        """Until everything received so far is in the database (False after ``wait`` s)."""
        return bool(await asyncio.to_thread(self.log.wait_written, self.log.enqueued, wait))

    async def performance(self, labels: Sequence[str], wait: float = 2.0) -> JSON:
        """Live metrics that include every prediction and feedback received before this call
        (read-your-writes: the log is flushed first, for up to ``wait`` seconds while the
        database answers); ``pending_writes`` counts what had not reached it by then."""
        if self.log.db_up or self.log.last_error is None:
            await asyncio.to_thread(self.log.wait_written, self.log.enqueued, wait)
        perf: JSON = await asyncio.to_thread(live_performance, self.store, labels, self.windows)
        perf["pending_writes"] = self.log.pending
        if self.metrics is not None:
            for w in [{"window": "all", **perf["overall"]}, *perf["windows"]]:
                if w["accuracy"] is not None:
                    self.metrics.live_accuracy.labels(w["window"]).set(w["accuracy"])
                    self.metrics.live_macro_f1.labels(w["window"]).set(w["macro_f1"])
        return perf
