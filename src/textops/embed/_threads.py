"""Threads sized to the cores that are free now, not to every core.

torch (and the BLAS and OpenMP pools under it) starts one thread per core. On a small machine
where another process is busy (a search, a second encode), those threads wait for each other
at every operation, spinning for cores someone else holds: an encode measured tens of times
slower than alone (bench/busy.py). An encode here takes the cores no one else is using.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

__all__ = ["free_cpus", "torch_threads"]

#: a core busier than this (percent, over the sample) is someone else's
BUSY_PERCENT = 50.0
_SEEN: tuple[float, int] | None = None  # (when, free cores): a reading is reused briefly


def _allowed() -> list[int]:
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
    allowed = _allowed()
    try:
        import psutil

        usage = psutil.cpu_percent(interval=sample_s, percpu=True)
    except Exception:  # no reading: every core allowed
        return len(allowed)
    free = sum(1 for cpu in allowed if cpu < len(usage) and usage[cpu] < BUSY_PERCENT)
    _SEEN = (now, max(1, free))
    return _SEEN[1]


@contextlib.contextmanager
def torch_threads(threads: int | None = None) -> Iterator[int]:
    """torch's intra-op threads set to ``threads`` (default: :func:`free_cpus`) inside, and
    back to what they were after; the count used."""
    import torch

    before = torch.get_num_threads()
    wanted = max(1, min(threads or free_cpus(), len(_allowed())))
    if wanted != before:
        torch.set_num_threads(wanted)
    try:
        yield wanted
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
