"""Encode rates measured on this machine, remembered next to the embedding cache.

A search plans which embedders fit its budget from how fast each encodes. Measuring that means
loading the model (seconds for MiniLM, most of a minute for mpnet and e5 on long texts), so the
rate is kept per cache space (the model and its options) and per machine, and the next search
plans from it without loading anything: a model that cannot fit is skipped at once.

One measurement can be badly off (taken while another process had the cores: tens of times
too slow), so the last few are kept and the median is what plans; measurements older than
``MAX_AGE_DAYS`` are forgotten, and ``textops cache rates --reset`` forgets them all.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["KEEP", "MAX_AGE_DAYS", "EncodeRate", "EncodeRates", "machine_key"]

#: measurements kept per model and machine (the median of them plans)
KEEP = 5
#: measurements older than this are forgotten (the machine, its load or the library changed)
MAX_AGE_DAYS = 30


def machine_key() -> str:
    """What an encode rate depends on besides the model: the host, its CPUs, visible GPUs."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    gpus = os.environ.get("CUDA_VISIBLE_DEVICES", "")
    return f"{platform.node()}|cpus={cpus}|gpus={gpus}"


@dataclass(frozen=True)
class EncodeRate:
    """Characters encoded per second (texts of other lengths scale by their characters), the
    texts per second of the measurement, and the seconds the model took to load; remembered,
    the median of the last measurements (``count`` of them, the newest ``measured_at``)."""

    chars_per_s: float
    texts_per_s: float
    load_s: float
    measured_at: float
    count: int = 1

    def seconds(self, chars: int, loaded: bool = False) -> float:
        """Estimated seconds to encode ``chars`` characters (plus the load, if not loaded)."""
        return chars / max(self.chars_per_s, 1e-9) + (0.0 if loaded else self.load_s)


class EncodeRates:
    """``<cache root>/rates.json``: ``{machine: {space id: EncodeRate}}``, shared by processes."""

    def __init__(self, root: Path) -> None:
        self.path = Path(root) / "rates.json"
        self.machine = machine_key()

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):  # absent or torn: rates are only a planning aid
            return {}
        return data if isinstance(data, dict) else {}

    def _measurements(self, entry: Any) -> list[EncodeRate]:
        """The measurements of one entry still young enough (an entry of an earlier textops
        is one measurement)."""
        raw = entry if isinstance(entry, list) else [entry] if isinstance(entry, dict) else []
        oldest = time.time() - MAX_AGE_DAYS * 86400
        out = []
        for item in raw:
            try:
                rate = EncodeRate(**{k: v for k, v in item.items() if k != "count"})
            except (TypeError, AttributeError):
                continue
            if rate.measured_at >= oldest:
                out.append(rate)
        return out[-KEEP:]

    def get(self, space_id: str) -> EncodeRate | None:
        """The median of the remembered measurements (None: none young enough)."""
        found = self._measurements(self._read().get(self.machine, {}).get(space_id))
        if not found:
            return None
        return EncodeRate(
            chars_per_s=statistics.median(r.chars_per_s for r in found),
            texts_per_s=statistics.median(r.texts_per_s for r in found),
            load_s=statistics.median(r.load_s for r in found),
            measured_at=max(r.measured_at for r in found),
            count=len(found),
        )

    def all(self) -> dict[str, EncodeRate]:
        """Every remembered rate of this machine, by space id."""
        spaces = self._read().get(self.machine, {})
        out = {space: self.get(space) for space in spaces}
        return {k: v for k, v in out.items() if v is not None}

    def put(self, space_id: str, *, chars: int, texts: int, seconds: float, load_s: float) -> None:
        """Remember a measurement (with the last ``KEEP - 1``)."""
        from filelock import FileLock

        from textops._util import atomic_write_json

        if seconds <= 0 or texts <= 0:
            return
        rate = EncodeRate(
            chars_per_s=max(chars, 1) / seconds,
            texts_per_s=texts / seconds,
            load_s=load_s,
            measured_at=time.time(),
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.path) + ".lock"):
            data = self._read()
            mine = data.setdefault(self.machine, {})
            kept = [asdict(r) for r in self._measurements(mine.get(space_id))]
            mine[space_id] = [*kept, asdict(rate)][-KEEP:]
            atomic_write_json(self.path, data)

    def reset(self) -> int:
        """Forget every rate of this machine; how many models had one."""
        from filelock import FileLock

        from textops._util import atomic_write_json

        if not self.path.exists():
            return 0
        with FileLock(str(self.path) + ".lock"):
            data = self._read()
            n = len(data.pop(self.machine, {}))
            atomic_write_json(self.path, data)
        return n
