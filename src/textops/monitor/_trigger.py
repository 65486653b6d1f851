"""What a drift alert (or a POST to the service) sets off: one retrain at a time, in its own
process, with at most one more queued behind it. Alerts that arrive while a retrain runs and
one is queued add nothing: the queued one will see their feedback. The history of runs is
capped (the last ``HISTORY``).

A service describes the retrain as a :class:`RetrainJob` (a typed value, not command-line
flags); the child process reads it from its stdin and calls ``textops.pipeline.retrain``
(``python -m textops.pipeline._job``). A process of its own, because a search holds the CPU
and gigabytes for minutes, which a serving process must not."""

from __future__ import annotations

import collections
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from textops.monitor._drift_types import DriftAlert

__all__ = ["RetrainJob", "RetrainRun", "RetrainStatus", "RetrainTrigger"]

log = logging.getLogger("textops.monitor")


#: retrains a service remembers (the oldest are forgotten)
HISTORY = 20


class RetrainJob(BaseModel):
    """One retrain of a served model from its feedback (``textops.pipeline.retrain``'s
    arguments)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model_uri: str
    since_seconds: float | None = None
    overrides: tuple[str, ...] = ()
    tracking_uri: str
    monitor_url: str
    home: str | None = None


@dataclass
class RetrainRun:
    """One retrain this service started: why, when, and how it ended (``error``: the last
    line it wrote to stderr when it failed)."""

    reason: str
    started: float
    finished: float | None = None
    returncode: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class RetrainStatus:
    running: bool
    queued: bool
    runs: list[RetrainRun]


@dataclass
class RetrainTrigger:
    command: Sequence[str]
    env: Mapping[str, str] | None = None
    #: what the process reads on its stdin (a job's JSON)
    stdin: bytes | None = None
    runs: collections.deque[RetrainRun] = field(
        default_factory=lambda: collections.deque(maxlen=HISTORY)
    )
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _queued: bool = field(default=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def for_job(cls, job: RetrainJob) -> RetrainTrigger:
        """A trigger that runs ``job`` through ``textops.pipeline`` in a child process."""
        env = dict(os.environ)
        if job.home:
            env["TEXTOPS_HOME"] = job.home
        command = [sys.executable, "-m", "textops.pipeline._job"]
        return cls(command, env, job.model_dump_json().encode())

    @property
    def running(self) -> bool:
        return self._proc is not None

    def fire(self, reason: str) -> str:
        """Start a retrain now (``started``), queue one behind the running one (``queued``),
        or note that one is queued already (``already_queued``)."""
        with self._lock:
            if self._proc is None:
                self._start(reason)
                return "started"
            if not self._queued:
                self._queued = True
                log.info("retrain queued behind the running one (%s)", reason)
                return "queued"
            return "already_queued"

    def on_alert(self, event: DriftAlert) -> None:
        """A drift alert's handler: queue one retrain naming the tests that crossed."""
        self.fire(f"drift: {', '.join(event.tests)}")

    def _start(self, reason: str) -> None:
        log.warning("retrain started: %s", reason)
        record = RetrainRun(reason, time.time())
        self._proc = subprocess.Popen(
            list(self.command),
            env=dict(self.env) if self.env else None,
            stdin=subprocess.PIPE if self.stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.runs.append(record)
        threading.Thread(target=self._wait, args=(self._proc, record), daemon=True).start()

    def _wait(self, proc: subprocess.Popen[bytes], record: RetrainRun) -> None:
        _, err = proc.communicate(self.stdin)
        record.finished, record.returncode = time.time(), proc.returncode
        if proc.returncode:
            lines = err.decode(errors="replace").strip().splitlines()
            record.error = lines[-1] if lines else ""
            log.warning("retrain failed (exit %s): %s", proc.returncode, record.error)
        with self._lock:
            self._proc = None
            if self._queued:
                self._queued = False
                self._start("queued")

    def wait(self, timeout: float) -> bool:
        """Until nothing runs or is queued (tests, shutdown); False on timeout."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                if self._proc is None and not self._queued:
                    return True
            time.sleep(0.05)
        return False

    def status(self) -> RetrainStatus:
        with self._lock:
            return RetrainStatus(self._proc is not None, self._queued, list(self.runs))
