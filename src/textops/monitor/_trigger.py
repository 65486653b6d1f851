"""What a drift alert (or a POST to the service) sets off: one retrain at a time, in its own
process (``textops retrain``), with at most one more queued behind it. Alerts that arrive
while a retrain runs and one is queued add nothing: the queued one will see their feedback.
The history of runs is capped (the last ``HISTORY``)."""

from __future__ import annotations

import collections
import logging
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from textops._types import JSON

__all__ = ["RetrainTrigger"]

log = logging.getLogger("textops.monitor")


#: retrains a service remembers (the oldest are forgotten)
HISTORY = 20


@dataclass
class RetrainTrigger:
    command: Sequence[str]
    env: Mapping[str, str] | None = None
    runs: collections.deque[JSON] = field(default_factory=lambda: collections.deque(maxlen=HISTORY))
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _queued: bool = field(default=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

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

    def on_alert(self, event: JSON) -> None:
        """A drift alert's handler: queue one retrain naming the tests that crossed."""
        self.fire(f"drift: {', '.join(event.get('tests', []))}")

    def _start(self, reason: str) -> None:
        log.warning("retrain started: %s", reason)
        record: JSON = {"reason": reason, "started": time.time()}
        self._proc = subprocess.Popen(
            list(self.command),
            env=dict(self.env) if self.env else None,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.runs.append(record)
        threading.Thread(target=self._wait, args=(self._proc, record), daemon=True).start()

    def _wait(self, proc: subprocess.Popen[bytes], record: JSON) -> None:
        _, err = proc.communicate()
        record.update(finished=time.time(), returncode=proc.returncode)
        if proc.returncode:
            record["error"] = err.decode(errors="replace").strip().splitlines()[-1:] or ""
            log.warning("retrain failed (exit %s): %s", proc.returncode, record["error"])
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

    def status(self) -> JSON:
        with self._lock:
            return {
                "running": self._proc is not None,
                "queued": self._queued,
                "runs": list(self.runs),
            }
