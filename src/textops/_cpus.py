"""The cores this process may run on, and those other processes are not keeping busy now.

A stage sizes its threads to the free cores, not to every core: on a small machine where
another process is busy (a search, a second encode), one thread per core waits for cores
someone else holds at every operation (bench/busy.py). Every stage asks here: a machine fact,
not any stage's concept.
"""

from __future__ import annotations

import os
import time

__all__ = ["allowed_cpus", "free_cpus"]

#: a core busier than this (percent, over the sample) is someone else's
BUSY_PERCENT = 50.0
_SEEN: tuple[float, int] | None = None  # (when, free cores): a reading is reused briefly


def allowed_cpus() -> list[int]:
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return list(range(os.cpu_count() or 1))


def free_cpus(sample_s: float = 0.1, reuse_s: float = 10.0) -> int:
    """Cores this process may run on that other processes are not keeping busy now (at least
    one); a reading is reused for ``reuse_s`` seconds."""
    global _SEEN
    now = time.monotonic()
    if _SEEN is not None and now - _SEEN[0] < reuse_s:
        return _SEEN[1]
    allowed = allowed_cpus()
    try:
        import psutil

        usage = psutil.cpu_percent(interval=sample_s, percpu=True)
    except Exception:  # no reading: every core allowed
        return len(allowed)
    free = sum(1 for cpu in allowed if cpu < len(usage) and usage[cpu] < BUSY_PERCENT)
    _SEEN = (now, max(1, free))
    return _SEEN[1]
