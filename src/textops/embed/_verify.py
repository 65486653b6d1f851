"""``cache verify``: re-encode a random sample of cached texts and compare with what is stored.

The cache stores text hashes, not texts, so the sample is drawn from the datasets in the textops
home whose texts are in a space. Each space's embedder is rebuilt from the table class and the
parameters recorded with the space; a space whose embedder now has another identity (the model
or a library changed) is reported as stale.
"""

from __future__ import annotations

import dataclasses
import functools
import platform
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from textops._types import JSON
from textops.data import DatasetStore
from textops.embed._base import library_versions
from textops.embed._cache import CacheSpace, EmbeddingCache, space_id
from textops.embed._registry import embedder_class
from textops.errors import TextopsError

__all__ = ["CacheCheck", "SpaceCheck", "verify_cache"]


def _candidates(store: DatasetStore) -> dict[bytes, str]:
    texts: dict[bytes, str] = {}
    for name in store.names():
        for ds in store.versions(name):
            table = ds.table(["text", "text_sha256"])
            for key, text in zip(
                table["text_sha256"].to_pylist(), table["text"].to_pylist(), strict=True
            ):
                texts.setdefault(key, text)
    return texts


@dataclass(frozen=True)
class SpaceCheck:
    """One cache space re-encoded: ``status`` ok / mismatch / stale (its embedder's identity
    changed) / unavailable (the embedder cannot be built here) / skipped (no stored text)."""

    space: str
    backend: str
    params: JSON  # the embedder's parameters as recorded with the space
    status: str
    ok: bool
    detail: str | None = None
    checked: int | None = None
    max_abs_diff: float | None = None
    min_cosine: float | None = None
    environment: JSON | None = None  # where the fresh vectors were computed (device, ...)

    def as_json(self) -> JSON:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


@dataclass(frozen=True)
class CacheCheck:
    spaces: list[SpaceCheck]
    tolerance: dict[str, float]
    damaged_shards_found: list[str]
    environment: dict[str, str | None]

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.spaces)

    def as_json(self) -> JSON:
        return {
            "ok": self.ok,
            "tolerance": self.tolerance,
            "spaces": [s.as_json() for s in self.spaces],
            "damaged_shards_found": self.damaged_shards_found,
            "environment": self.environment,
        }


def _verify_space(
    space: CacheSpace,
    texts: dict[bytes, str],
    sample: int,
    rng: random.Random,
    atol: float,
    min_cosine: float,
) -> SpaceCheck:
    meta = space.meta
    backend, params = str(meta["identity"]["backend"]), dict(meta.get("params", {}))
    check = functools.partial(SpaceCheck, space=space.id, backend=backend, params=params)
    try:
        embedder = embedder_class(backend)(**params)
        if space_id(embedder.identity()) != space.id:
            return check(
                status="stale",
                ok=True,
                detail=(
                    "the embedder's identity changed (model weights or library versions); these "
                    "entries can no longer be hit - `textops cache prune --older-than 0` removes them"
                ),
            )
    except TextopsError as exc:
        return check(status="unavailable", ok=True, detail=str(exc))
    known = [k for k in space.stored_keys() if k in texts]
    if not known:
        return check(
            status="skipped",
            ok=True,
            detail="no text of this space is in a stored dataset to re-encode",
        )
    keys = rng.sample(known, min(sample, len(known)))
    cached, _ = space.get(keys)
    assert cached is not None
    fresh = embedder.transform([texts[k] for k in keys])
    diff = float(np.max(np.abs(fresh - cached)))
    denom = np.linalg.norm(fresh, axis=1) * np.linalg.norm(cached, axis=1)
    cos = np.sum(fresh * cached, axis=1) / np.where(denom == 0, 1, denom)
    ok = diff <= atol and float(cos.min()) >= min_cosine
    return check(
        status="ok" if ok else "mismatch",
        ok=ok,
        checked=len(keys),
        max_abs_diff=diff,
        min_cosine=float(cos.min()),
        environment=embedder.describe(),
    )


def verify_cache(
    *,
    home: str | Path | None = None,
    sample: int = 64,
    atol: float = 1e-4,
    min_cosine: float = 0.9999,
    seed: int | None = None,
    space: str | None = None,
) -> CacheCheck:
    """Check stored vectors against fresh ones; ``ok`` is False when any space is off tolerance."""
    cache = EmbeddingCache(home=home)
    spaces = [s for s in cache.spaces() if space is None or s.id.startswith(space)]
    texts = _candidates(DatasetStore(home)) if spaces else {}
    rng = random.Random(seed)
    reports = [_verify_space(s, texts, sample, rng, atol, min_cosine) for s in spaces]
    return CacheCheck(
        spaces=reports,
        tolerance={"max_abs_diff": atol, "min_cosine": min_cosine},
        damaged_shards_found=[why for s in spaces for why in s.damaged],
        environment={
            "python": platform.python_version(),
            "platform": platform.platform(),
            "machine": platform.machine(),
            **library_versions(("numpy", "torch", "transformers", "sentence-transformers")),
        },
    )
