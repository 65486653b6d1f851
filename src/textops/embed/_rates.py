"""Encode rates measured on this machine, remembered next to the embedding cache.

A search plans which embedders fit its budget from how fast each encodes. Measuring that means
loading the model (seconds for MiniLM, most of a minute for mpnet and e5 on long texts), so the
rate is kept per cache space (the model and its options) and per machine, and the next search
plans from it without loading anything: a model that cannot fit is skipped at once.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["EncodeRate", "EncodeRates", "machine_key"]


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
    texts per second of the measurement, and the seconds the model took to load."""

    chars_per_s: float
    texts_per_s: float
    load_s: float
    measured_at: float

    def seconds(self, chars: int, loaded: bool = False) -> float:
        """Estimated seconds to encode ``chars`` characters (plus the load, if not loaded)."""
        return chars / max(self.chars_per_s, 1e-9) + (0.0 if loaded else self.load_s)


class EncodeRates:
    """``<cache root>/rates.json``: ``{machine: {space id: EncodeRate}}``, shared by processes."""

    def __init__(self, root: Path) -> None:
        self.path = Path(root) / "rates.json"
        self.machine = machine_key()

    def _read(self) -> dict[str, dict[str, dict[str, float]]]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):  # absent or torn: rates are only a planning aid
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, space_id: str) -> EncodeRate | None:
        entry = self._read().get(self.machine, {}).get(space_id)
        if not entry:
            return None
        try:
            return EncodeRate(**entry)
        except TypeError:
            return None

    def put(self, space_id: str, *, chars: int, texts: int, seconds: float, load_s: float) -> None:
        """Remember a measurement (the latest wins)."""
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
            data.setdefault(self.machine, {})[space_id] = asdict(rate)
            atomic_write_json(self.path, data)
