"""Threads sized to the cores that are free now, not to every core.

torch (and the BLAS and OpenMP pools under it) starts one thread per core. On a small machine
where another process is busy (a search, a second encode), those threads wait for each other
at every operation, spinning for cores someone else holds: an encode measured tens of times
slower than alone (bench/busy.py). An encode here takes the cores no one else is using.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from textops._cpus import allowed_cpus, free_cpus

__all__ = ["free_cpus", "torch_threads"]


@contextlib.contextmanager
def torch_threads(threads: int | None = None) -> Iterator[int]:
    """torch's intra-op threads set to ``threads`` (default: :func:`free_cpus`) inside, and
    back to what they were after; the count used."""
    import torch

    before = torch.get_num_threads()
    wanted = max(1, min(threads or free_cpus(), len(allowed_cpus())))
    if wanted != before:
        torch.set_num_threads(wanted)
    try:
        yield wanted
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
