"""The environment a model was trained in, and the check of where it runs now."""

from __future__ import annotations

import dataclasses
import functools
import importlib.metadata
import os
import platform
from dataclasses import dataclass, field

from textops._types import JSON

__all__ = [
    "NUMERIC_PACKAGES",
    "EnvComparison",
    "EnvLock",
    "PackageDifference",
    "capture_env_lock",
    "compare_env",
]

#: packages whose versions change a model's numbers: a difference fails `textops env check`
NUMERIC_PACKAGES = (
    "torch",
    "transformers",
    "sentence-transformers",
    "numpy",
    "scikit-learn",
    "onnxruntime",
    "tokenizers",
    "model2vec",
    "lightgbm",
    "interpret-core",
    "scipy",
)


def _gpu() -> dict[str, str | bool | None]:
    try:
        import torch

        if torch.cuda.is_available():
            return {
                "cuda": True,
                "device": torch.cuda.get_device_name(0),
                "cuda_version": torch.version.cuda,
            }
        return {"cuda": False}
    except ImportError:
        return {"cuda": False, "torch": "not installed"}


@dataclass(frozen=True)
class EnvLock:
    """Every installed distribution with its version, plus Python, platform, CPU and GPU:
    what ``env_lock.json`` of a model holds."""

    python: str | None
    platform: str | None
    packages: dict[str, str]
    implementation: str | None = None
    machine: str | None = None
    cpu_count: int | None = None
    gpu: dict[str, str | bool | None] = field(default_factory=dict)

    @classmethod
    def from_json(cls, lock: object) -> EnvLock:
        """A lock as read from a model's file (fields it lacks are None: an older or a
        hand-made lock is still compared on what it has; a file that holds no JSON object
        has nothing to compare)."""
        if not isinstance(lock, dict):
            lock = {}
        packages = lock.get("packages")
        if not isinstance(packages, dict):
            packages = {}
        gpu = lock.get("gpu")
        cpus = lock.get("cpu_count")
        return cls(
            python=_str(lock.get("python")),
            platform=_str(lock.get("platform")),
            packages={str(k): str(v) for k, v in packages.items()},
            implementation=_str(lock.get("implementation")),
            machine=_str(lock.get("machine")),
            cpu_count=cpus if isinstance(cpus, int) and not isinstance(cpus, bool) else None,
            gpu=dict(gpu) if isinstance(gpu, dict) else {},
        )

    def as_json(self) -> JSON:
        out = dataclasses.asdict(self)
        out["packages"] = dict(sorted(self.packages.items()))
        return out

    @property
    def numeric_packages(self) -> dict[str, str]:
        return {k: v for k, v in self.packages.items() if k in NUMERIC_PACKAGES}


def _str(value: object) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class PackageDifference:
    package: str
    model: str | None  # the version the model was trained with (None: not installed then)
    here: str | None  # the version installed here (None: not installed)


@dataclass(frozen=True)
class EnvComparison:
    """Differences between a model's lock and this environment; ``ok`` is False when a
    numeric package differs."""

    numeric_differences: list[PackageDifference]
    other_differences: list[PackageDifference]
    python: tuple[str | None, str | None]  # (the model's, here)
    platform: tuple[str | None, str | None]

    @property
    def ok(self) -> bool:
        return not self.numeric_differences

    def as_json(self) -> JSON:
        def pair(p: tuple[str | None, str | None]) -> JSON:
            return {"model": p[0], "here": p[1]}

        return {
            "ok": self.ok,
            "numeric_differences": [dataclasses.asdict(d) for d in self.numeric_differences],
            "other_differences": [dataclasses.asdict(d) for d in self.other_differences],
            "python": pair(self.python),
            "platform": pair(self.platform),
        }


def capture_env_lock() -> EnvLock:
    """This environment's lock."""
    packages = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            packages[name.lower().replace("_", "-")] = dist.version
    return EnvLock(
        python=platform.python_version(),
        implementation=platform.python_implementation(),
        platform=platform.platform(),
        machine=platform.machine(),
        cpu_count=os.cpu_count(),
        gpu=_gpu(),
        packages=dict(sorted(packages.items())),
    )


@functools.cache
def _here() -> EnvLock:
    """This process's environment, read once: every model a service loads or swaps in is
    compared with it, and scanning the installed distributions takes a tenth of a second."""
    return capture_env_lock()


def compare_env(lock: EnvLock, current: EnvLock | None = None) -> EnvComparison:
    """How ``lock`` (a model's) differs from ``current`` (default: this environment)."""
    current = current or _here()
    then, now = lock.packages, current.packages
    numeric: list[PackageDifference] = []
    other: list[PackageDifference] = []
    for name in sorted(set(then) | set(now)):
        a, b = then.get(name), now.get(name)
        if a == b:
            continue
        row = PackageDifference(name, a, b)
        (numeric if name in NUMERIC_PACKAGES else other).append(row)
    return EnvComparison(
        numeric, other, (lock.python, current.python), (lock.platform, current.platform)
    )
