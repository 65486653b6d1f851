"""Adaptive micro-batching: concurrent requests share one model call, off the event loop.

A request waits for a batch only under load: when the previous model call carried more than
one request, the batcher lingers up to ``max_wait_ms`` for more; at low load it goes at once.
Each batch takes the model current when it starts, so a swap never changes a call in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

__all__ = ["MicroBatcher"]

_Item = tuple[list[str], "asyncio.Future[tuple[Any, np.ndarray]]"]


class MicroBatcher:
    def __init__(
        self,
        get_model: Callable[[], Any],
        *,
        max_batch_size: int = 64,
        max_wait_ms: float = 5.0,
        metrics: Any | None = None,
        call: Callable[[Any, list[str]], np.ndarray] | None = None,
    ) -> None:
        self.get_model = get_model
        #: how a batch is run (default: ``model.predict_proba(texts)``)
        self.call = call or (lambda model, texts: model.predict_proba(texts))
        self.max_batch_size = max_batch_size
        self.max_wait = max_wait_ms / 1000
        self.metrics = metrics
        self.calls = 0  # model calls made (tests and benchmarks read it)
        self._queue: asyncio.Queue[_Item] | None = None
        self._task: asyncio.Task[None] | None = None
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="textops-model")
        self._busy = False  # the previous call merged several requests
        self._carry: _Item | None = None  # a request too big to join the last batch

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._run(), name="textops-batcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._pool.shutdown(wait=True)

    async def submit(self, texts: list[str]) -> tuple[Any, np.ndarray]:
        """The model that answered and one probability row per text."""
        if self._queue is None:
            raise RuntimeError("the batcher is not started")
        fut: asyncio.Future[tuple[Any, np.ndarray]] = asyncio.get_running_loop().create_future()
        await self._queue.put((texts, fut))
        if self.metrics is not None:
            self.metrics.queue.set(self._queue.qsize())
        return await fut

    async def _gather(self, first: _Item) -> list[_Item]:
        assert self._queue is not None
        batch, n = [first], len(first[0])
        deadline = time.monotonic() + (self.max_wait if self._busy else 0.0)
        while n < self.max_batch_size:
            try:
                item = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    item = await asyncio.wait_for(self._queue.get(), left)
                except TimeoutError:
                    break
            if n + len(item[0]) > self.max_batch_size:
                self._carry = item  # too big to join: it starts the next batch
                break
            batch.append(item)
            n += len(item[0])
        return batch

    async def _run(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        while True:
            first, self._carry = self._carry, None
            batch = await self._gather(first if first is not None else await self._queue.get())
            live = [(t, f) for t, f in batch if not f.cancelled()]
            if not live:
                continue
            model = self.get_model()
            texts = [t for ts, _ in live for t in ts]
            t0 = time.perf_counter()
            try:
                proba = await loop.run_in_executor(self._pool, self.call, model, texts)
            except Exception as exc:  # a model failure fails this batch only
                for _, fut in live:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            self.calls += 1
            self._busy = len(live) > 1
            if self.metrics is not None:
                self.metrics.model_seconds.observe(time.perf_counter() - t0)
                self.metrics.batch_size.observe(len(texts))
                self.metrics.batch_requests.observe(len(live))
                self.metrics.queue.set(self._queue.qsize())
            start = 0
            for ts, fut in live:
                if not fut.done():
                    fut.set_result((model, proba[start : start + len(ts)]))
                start += len(ts)
