"""Hot swap: follow a registry alias, load a new version in the background, swap atomically.

The holder's ``current`` is one reference; a batch reads it once when it starts, so requests in
flight finish on the model they started with. A failed load keeps the old model serving.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from textops.serve._model import ServedModel, load_served_model
from textops.track import ModelURI, StoreFile, resolve_version

if TYPE_CHECKING:
    from textops.serve._metrics import ServiceMetrics

__all__ = ["ModelHolder"]

log = logging.getLogger("textops.serve")


class ModelHolder:
    def __init__(
        self,
        uri: str,
        tracking_uri: str,
        *,
        metrics: ServiceMetrics | None = None,
        backend: str = "auto",
    ) -> None:
        self.uri = uri
        self.backend = backend
        self.tracking_uri = tracking_uri
        self.metrics = metrics
        self.current: ServedModel | None = None
        self.last_error: str | None = None
        self.follows_alias = ModelURI.parse(uri).alias is not None
        #: called (in a worker thread) with each model version loaded, before it serves
        self.on_load: Callable[[ServedModel], None] | None = None
        #: why the service must not report ready (its registry vanished), None when it may
        self.unready: str | None = None
        # the registry file as it was at start: a moved or replaced one is never reopened
        self._store = StoreFile.of(tracking_uri) if ModelURI.parse(uri).registered else None
        self._lock = asyncio.Lock()

    def get(self) -> ServedModel:
        model = self.current
        if model is None:
            from textops.errors import NotReadyError

            raise NotReadyError(
                "the model is not loaded yet"
                + (f" (last attempt: {self.last_error})" if self.last_error else "")
                + "; retry shortly or check the server log"
            )
        return model

    async def refresh(self, *, force: bool = False) -> tuple[bool, str]:
        """Load the version the URI points at when it differs from the current one (or always
        with ``force``). Returns (swapped, message); never raises for a failed load."""
        async with self._lock:
            old = self.current
            problem = self._store.problem() if self._store is not None else None
            if problem is not None:
                if self.unready is None:
                    log.error("not ready: %s", problem)
                self.unready = self.last_error = problem
                return False, f"{problem}; {_keeping(old)}"
            self.unready = None
            try:
                version = await asyncio.to_thread(resolve_version, self.uri, self.tracking_uri)
                if old is not None and not force and version == old.version:
                    return False, f"already serving version {version}"
                new = await asyncio.to_thread(
                    load_served_model,
                    self.uri,
                    self.tracking_uri,
                    version=version,
                    backend=self.backend,
                )
                if self.on_load is not None:
                    await asyncio.to_thread(self.on_load, new)
            except Exception as exc:
                self.last_error = str(exc)
                if self.metrics is not None:
                    self.metrics.load_failures.inc()
                log.error("model load failed, %s: %s", _keeping(old), exc)
                return False, f"load failed ({exc}); {_keeping(old)}"
            self.current = new  # the swap: one reference assignment
            self.last_error = None
            if self.metrics is not None:
                self.metrics.model_loads.inc()
                self.metrics.set_model(new)
            was = f"version {old.version}" if old is not None else "nothing"
            log.info("now serving %s version %s (was %s)", new.name or new.uri, new.version, was)
            return True, f"now serving version {new.version} (was {was})"

    async def poll(self, interval: float) -> None:
        """Check the alias every ``interval`` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval)
            if self.follows_alias or self.current is None:
                await self.refresh()


def _keeping(old: ServedModel | None) -> str:
    return f"still serving version {old.version}" if old is not None else "no model loaded yet"
