"""The environment a model was trained in, and the check of where it runs now."""

from __future__ import annotations

import importlib.metadata
import os
import platform

from textops._types import JSON

__all__ = ["NUMERIC_PACKAGES", "capture_env_lock", "compare_env"]

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


def _gpu() -> JSON:
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


def capture_env_lock() -> JSON:
    """Every installed distribution with its version, plus Python, platform, CPU and GPU."""
    packages = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            packages[name.lower().replace("_", "-")] = dist.version
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "gpu": _gpu(),
        "packages": dict(sorted(packages.items())),
    }


def compare_env(lock: JSON, current: JSON | None = None) -> JSON:
    """Differences between a model's lock and this environment; ``ok`` is False when a
    numeric package differs."""
    current = current or capture_env_lock()
    then, now = lock.get("packages", {}), current["packages"]
    numeric: list[JSON] = []
    other: list[JSON] = []
    for name in sorted(set(then) | set(now)):
        a, b = then.get(name), now.get(name)
        if a == b:
            continue
        row = {"package": name, "model": a, "here": b}
        (numeric if name in NUMERIC_PACKAGES else other).append(row)
    return {
        "ok": not numeric,
        "numeric_differences": numeric,
        "other_differences": other,
        "python": {"model": lock.get("python"), "here": current["python"]},
        "platform": {"model": lock.get("platform"), "here": current["platform"]},
    }
