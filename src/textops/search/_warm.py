"""Warm starts for cross-validation: a fit starts from an earlier trial's solution.

Trials of one head differ mostly in a regularisation strength. A solver started from the
solution for a nearby strength, on the same fold, converges in fewer iterations than from zero
(``bench/search.py`` prints logistic regression's median iterations both ways). The optimum is
the same, so the trial scores what a cold fit would, up to the solver's tolerance.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np

__all__ = ["WarmStarts"]

#: (slot, position of the trial's numeric parameters in log space)
_Token = tuple[Hashable, np.ndarray]


def _final(est: Any) -> Any:
    """The estimator at the end of a pipeline (or the estimator itself)."""
    return est.steps[-1][1] if hasattr(est, "steps") else est


class WarmStarts:
    """Solutions per (embedder, head, fold, categorical parameters), keyed by where the numeric
    parameters were; a new fit starts from the nearest one (log scale)."""

    def __init__(self, keep: int = 12) -> None:
        self.keep_last = keep
        self._store: dict[Hashable, list[tuple[np.ndarray, tuple[Any, ...]]]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _where(
        embedder: str, head: str, fold: int, params: Mapping[str, Any]
    ) -> tuple[Hashable, np.ndarray]:
        numeric = sorted(
            k
            for k, v in params.items()
            if isinstance(v, int | float) and not isinstance(v, bool) and v > 0
        )
        rest = tuple(sorted((k, repr(v)) for k, v in params.items() if k not in numeric))
        point = np.array([math.log(params[k]) for k in numeric])
        return (embedder, head, fold, tuple(numeric), rest), point

    def start(
        self,
        est: Any,
        embedder: str,
        head: str,
        fold: int,
        params: Mapping[str, Any],
        attrs: tuple[str, ...],
    ) -> _Token | None:
        """Set ``est`` to start from the nearest stored solution; None when ``attrs`` is empty
        (the head has no warm start). Pass the token to :meth:`keep` after fitting."""
        if not attrs:
            return None
        slot, point = self._where(embedder, head, fold, params)
        with self._lock:
            entries = list(self._store.get(slot, ()))
        if entries:
            _, values = min(entries, key=lambda e: float(np.abs(e[0] - point).sum()))
            final = _final(est)
            final.set_params(warm_start=True)
            for name, value in zip(attrs, values, strict=True):
                setattr(final, name, value.copy())
        return slot, point

    def keep(self, est: Any, token: _Token, attrs: tuple[str, ...]) -> None:
        slot, point = token
        final = _final(est)
        values = tuple(np.array(getattr(final, name), copy=True) for name in attrs)
        with self._lock:
            entries = self._store.setdefault(slot, [])
            entries.append((point, values))
            del entries[: -self.keep_last]
