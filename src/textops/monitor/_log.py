"""The prediction log's writer: asynchronous, batched, and lossless across database outages.

Requests only append to an in-memory buffer (a lock and a deque: microseconds). A background
thread writes the buffer to the database in batches. When the database is slow or down, records
wait; when the buffer is full, further records go to an append-only spill file (a folder per
database: what was meant for one database is never replayed into another). Once the database
answers again, spill files are replayed and the buffer drained. Writes are idempotent, so a
batch retried after a half-failed write is not counted twice.

When even the spill cannot be written (a full disk), records are dropped and counted
(``textops_monitor_dropped_total``): predictions keep being served. Feedback does not take this
path: it is written durably before it is acknowledged (see ``MonitorService.feedback``), to the
database or, while that is down, to a spill file synced to disk (:meth:`spill_durably`).
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from textops._redact import redact_text
from textops._util import fsync_dir
from textops.monitor._metrics import MonitorMetrics
from textops.monitor._records import FeedbackRecord, LogRecord, PredictionRecord
from textops.monitor._store import PredictionRef

if TYPE_CHECKING:
    from textops.monitor._store import MonitorStore

__all__ = ["PredictionLog"]

log = logging.getLogger("textops.monitor")


class PredictionLog:
    def __init__(
        self,
        store: MonitorStore,
        *,
        spill_dir: Path,
        buffer_size: int = 20_000,
        batch_size: int = 500,
        flush_interval: float = 0.25,
        recent_ids: int = 200_000,
        metrics: MonitorMetrics | None = None,
    ) -> None:
        self.store = store
        self.spill_dir = Path(spill_dir)
        self.buffer_size = buffer_size
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.metrics = metrics
        self.db_up = False
        self.written = 0
        #: records that could not be kept anywhere (the disk was full)
        self.dropped = 0
        self.last_error: str | None = None
        self._buf: collections.deque[LogRecord] = collections.deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        #: notified whenever records reach the database (see ``wait_written``)
        self._progress = threading.Condition()
        self._thread: threading.Thread | None = None
        self._spilled = 0
        self._spill_fh: Any = None
        # id -> (model name, version, label): tuples, cheap on the request path
        self._recent: collections.OrderedDict[str, tuple[Any, Any, str]] = collections.OrderedDict()
        self._recent_max = recent_ids
        self.spill_dir.mkdir(parents=True, exist_ok=True)
        _release_orphans(self.spill_dir)
        self._spilled = sum(_count_lines(p) for p in self._spill_files())
        #: records handed to this log (and found spilled at start): the database has them all
        #: once ``written`` reaches this
        self.enqueued = self._spilled

    # -- producer side (event loop) -----------------------------------------------------------
    def add(
        self, kind: Literal["p", "f"], rows: Sequence[PredictionRecord] | Sequence[FeedbackRecord]
    ) -> None:
        with self._lock:
            self.enqueued += len(rows)
            if kind == "p":
                for r in cast("Sequence[PredictionRecord]", rows):
                    self._recent[r["prediction_id"]] = (
                        r["model_name"],
                        r["model_version"],
                        r["label"],
                    )
                while len(self._recent) > self._recent_max:
                    self._recent.popitem(last=False)
            if len(self._buf) + len(rows) <= self.buffer_size:
                self._buf.extend((kind, r) for r in rows)
            else:
                self._spill_or_drop([(kind, r) for r in rows])
                self._update_metrics()
        # the gauges of the buffer follow at the writer's next pass (a quarter second), not
        # on every request

    def known(self, prediction_id: str) -> PredictionRef | None:
        """A prediction this process logged recently (written or not)."""
        with self._lock:
            found = self._recent.get(prediction_id)
        return None if found is None else PredictionRef(*found)

    @property
    def pending(self) -> int:
        return len(self._buf) + self._spilled

    # -- spill files ---------------------------------------------------------------------------
    def _spill_files(self) -> list[Path]:
        return sorted(self.spill_dir.glob("spill-*.jsonl"))

    def _spill(self, records: list[LogRecord]) -> None:
        """Append to the current spill file (lock held)."""
        if self._spill_fh is None:
            path = self.spill_dir / f"spill-{time.time_ns()}.jsonl"
            self._spill_fh = path.open("a", encoding="utf-8")
        self._spill_fh.write("".join(json.dumps({"k": k, "r": r}) + "\n" for k, r in records))
        self._spill_fh.flush()
        self._spilled += len(records)

    def _spill_or_drop(self, records: list[LogRecord]) -> None:
        """Spill (lock held); when the disk refuses, drop and count: serving goes on."""
        try:
            self._spill(records)
        except OSError as exc:
            if self._spill_fh is not None:  # a half-written line is skipped at replay
                with contextlib.suppress(OSError):
                    self._spill_fh.close()
                self._spill_fh = None
            self.dropped += len(records)
            if self.metrics is not None:
                self.metrics.log_dropped.inc(len(records))
            log.warning("monitor log full, %d records dropped: %s", len(records), exc)
            with self._progress:
                self._progress.notify_all()

    def spill_durably(self, records: list[LogRecord]) -> None:
        """Records in a spill file of their own, synced to disk before this returns (feedback
        acknowledged while the database is down). Raises OSError when the disk refuses."""
        path = self.spill_dir / f"spill-{time.time_ns()}-{os.getpid()}-durable.jsonl"
        data = "".join(json.dumps({"k": k, "r": r}) + "\n" for k, r in records).encode()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            fsync_dir(self.spill_dir)
        except OSError:
            path.unlink(missing_ok=True)
            raise
        with self._lock:
            self._spilled += len(records)
            self.enqueued += len(records)
        self._wake.set()

    def _replay_spills(self) -> None:
        with self._lock:  # new spills go to a new file from now on
            if self._spill_fh is not None:
                self._spill_fh.close()
                self._spill_fh = None
            files = self._spill_files()
        for original in files:
            # claim the file first: another worker process may be replaying the same folder
            path = original.with_name(f"claimed-{os.getpid()}-{original.name}")
            try:
                original.rename(path)
            except FileNotFoundError:
                continue
            lines = path.read_text(encoding="utf-8").splitlines()
            records = []
            for line in lines:
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:  # a torn last line from a crash
                    log.warning("skipping a torn line in %s", path)
                    continue
                records.append((obj["k"], obj["r"]))
            try:
                for lo in range(0, len(records), self.batch_size):
                    self._write(records[lo : lo + self.batch_size])
            except Exception:
                path.rename(original)  # back to the pool; the replay is idempotent
                raise
            path.unlink()
            with self._lock:
                self._spilled -= len(lines)
            if len(records) < len(lines):  # torn lines are records lost for good
                with self._progress:
                    self.dropped += len(lines) - len(records)
                    self._progress.notify_all()

    # -- consumer side (thread) ----------------------------------------------------------------
    def _write(self, records: list[LogRecord]) -> None:
        preds = [cast(PredictionRecord, r) for k, r in records if k == "p"]
        fb = [cast(FeedbackRecord, r) for k, r in records if k == "f"]
        self.store.write(preds, fb)
        with self._progress:
            self.written += len(records)
            self._progress.notify_all()
        if self.metrics is not None:
            self.metrics.log_written.inc(len(records))

    def wait_written(self, target: int, timeout: float) -> bool:
        """Wake the writer and wait until ``target`` records (a value of ``enqueued``) are in
        the database, so a reader sees its own writes; False when ``timeout`` passed first
        (the database is slow or down: the records wait in the buffer)."""
        self._wake.set()
        with self._progress:
            return self._progress.wait_for(lambda: self.written + self.dropped >= target, timeout)

    def flush_once(self) -> int:
        """Write what waits; returns records written. Raises while the database is down."""
        done = 0
        if self._spilled:
            before = self._spilled
            self._replay_spills()
            done += before - self._spilled
        while True:
            with self._lock:
                batch = [self._buf.popleft() for _ in range(min(self.batch_size, len(self._buf)))]
            if not batch:
                return done
            try:
                self._write(batch)
            except Exception:
                with self._lock:
                    self._buf.extendleft(reversed(batch))
                raise
            done += len(batch)

    def _run(self) -> None:
        backoff = self.flush_interval
        while not self._stop.is_set():
            self._wake.wait(backoff)
            self._wake.clear()
            try:
                self.flush_once()
                if not self.db_up:
                    log.info("monitor database reachable: %s", _safe(self.store.url))
                self.db_up, self.last_error, backoff = True, None, self.flush_interval
            except Exception as exc:
                if self.db_up or self.last_error is None:
                    log.warning("monitor database unavailable, buffering: %s", exc)
                self.db_up, self.last_error = False, str(exc)
                backoff = min(max(backoff * 2, 0.5), 5.0)
                if self.metrics is not None:
                    self.metrics.log_errors.inc()
            self._update_metrics()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="textops-monitor-log", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread; try a last flush, and spill whatever the database did not take."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        try:
            self.flush_once()
        except Exception as exc:
            log.warning("monitor database unavailable at shutdown (%s); spilling to disk", exc)
        with self._lock:
            if self._buf:
                self._spill_or_drop(list(self._buf))
                self._buf.clear()
            if self._spill_fh is not None:
                self._spill_fh.close()
                self._spill_fh = None
        self._update_metrics()

    def _update_metrics(self) -> None:
        if self.metrics is not None:
            self.metrics.log_buffered.set(len(self._buf))
            self.metrics.log_spilled.set(self._spilled)
            self.metrics.log_db_up.set(1 if self.db_up else 0)


def _release_orphans(folder: Path) -> None:
    """Spill files claimed by a process that died mid-replay go back to the pool."""
    for path in folder.glob("claimed-*-spill-*.jsonl"):
        pid = int(path.name.split("-")[1])
        try:
            os.kill(pid, 0)
            alive = pid != os.getpid()
        except ProcessLookupError:
            alive = False
        except PermissionError:
            alive = True
        if not alive:
            path.rename(path.with_name(path.name.split("-", 2)[2]))


def _count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh)


def _safe(url: str) -> str:
    """A URL without its password."""
    return redact_text(url)
