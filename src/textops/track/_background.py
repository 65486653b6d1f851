"""Finished runs written by one background thread, so the code that records them goes on.

A search logs one nested run per trial. Through MLflow's SQL store each takes ~25 ms of Python
(SQLAlchemy), which a trial thread would spend holding the GIL, stalling the other trial threads
too, between fits of a few tens of milliseconds. Here a trial hands its finished run over and
goes on; one writer thread (started by the first run handed over) writes runs in the order
they came. :meth:`close` waits for the rest: a run opened with :func:`~textops.track.open_run`
closes its child runs' writer before it ends, so every trial's run is in the store by then.
"""

from __future__ import annotations

import logging
import queue
import threading
from types import TracebackType

from textops.track._tracker import FinishedRun, Tracker

__all__ = ["BackgroundRuns"]

log = logging.getLogger(__name__)


class BackgroundRuns:
    """``put`` a :class:`FinishedRun`; a writer thread passes it to ``tracker.log_run``. A run
    that fails to write is logged as a warning and the rest go on (a trial's result is in the
    study either way). Use as a context manager, or call :meth:`close`."""

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker
        self.written = 0
        self.failed = 0
        self._queue: queue.Queue[FinishedRun | None] = queue.Queue()
        self._thread = threading.Thread(target=self._write, name="textops-runs", daemon=True)
        self._lock = threading.Lock()  # trial threads hand runs over concurrently
        self._closed = self._started = False

    def put(self, run: FinishedRun) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("BackgroundRuns is closed")
            if not self._started:  # no thread for a run that has no children
                self._thread.start()
                self._started = True
            self._queue.put(run)

    def _write(self) -> None:
        while (run := self._queue.get()) is not None:
            try:
                self.tracker.log_run(run)
                self.written += 1
            except Exception as exc:  # the store is down, full, ...: the search goes on
                self.failed += 1
                log.warning("could not log run %s: %s", run.name, exc)

    def close(self) -> None:
        """Write what is queued, then stop the writer."""
        with self._lock:
            self._closed, started = True, self._started
            if started:
                self._queue.put(None)
        if started:
            self._thread.join()

    def __enter__(self) -> BackgroundRuns:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
