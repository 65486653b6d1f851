"""Adaptive micro-batching: concurrent requests share one model call, off the event loop.

One model thread takes requests from a thread-safe queue, merges what is waiting into a batch,
runs the model and hands each caller its slice back on the event loop. The thread starts the
next batch the moment the last one is done, without waiting for the event loop (which may be
busy answering the last batch's requests); bench/serve.py prints how busy the model is
(``model_busy``).

A request waits for a batch only under load: when the previous model call carried more than
one request and fewer than ``max_batch_size // 8`` texts are waiting, the thread lingers up to
``max_wait_ms`` for more; at low load it goes at once, and a batch that formed while the model
was busy goes at once too (lingering then only idles the model). Each batch takes the model
current when it starts, so a swap never changes a call in flight.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import numpy as np

if TYPE_CHECKING:
    from textops.serve._metrics import ServiceMetrics

__all__ = ["MicroBatcher"]

_Result = tuple[Any, np.ndarray]  # the model that answered, its probabilities
_Item = tuple[list[str], "asyncio.Future[_Result]"]
_STOP = object()


def _resolve(answers: list[tuple[asyncio.Future[_Result], _Result]]) -> None:
    for fut, value in answers:
        if not fut.done():  # the caller may have gone away (cancelled)
            fut.set_result(value)


def _fail(futures: list[asyncio.Future[_Result]], exc: BaseException) -> None:
    for fut in futures:
        if not fut.done():
            fut.set_exception(exc)


class Scorer(Protocol):
    """What a batch is run on by default: a model giving probabilities for texts."""

    def predict_proba(self, texts: list[str]) -> np.ndarray: ...


M = TypeVar("M", bound=Scorer)


class MicroBatcher(Generic[M]):
    def __init__(
        self,
        get_model: Callable[[], M],
        *,
        max_batch_size: int = 64,
        max_wait_ms: float = 5.0,
        metrics: ServiceMetrics | None = None,
        call: Callable[[M, list[str]], np.ndarray] | None = None,
    ) -> None:
        self.get_model = get_model
        #: how a batch is run (default: ``model.predict_proba(texts)``)
        self.call = call or (lambda model, texts: model.predict_proba(texts))
        self.max_batch_size = max_batch_size
        self.max_wait = max_wait_ms / 1000
        self.metrics = metrics
        self.calls = 0  # model calls made (tests and benchmarks read it)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._busy = False  # the previous call merged several requests
        self._linger_below = max(2, max_batch_size // 8)  # texts; a bigger batch goes at once
        self._carry: Any = None  # a request too big to join the last batch

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, name="textops-model", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(_STOP)
            await asyncio.to_thread(self._thread.join)
            self._thread = None

    async def submit(self, texts: list[str]) -> _Result:
        """The model that answered and one probability row per text."""
        if self._thread is None or self._loop is None:
            raise RuntimeError("the batcher is not started")
        fut: asyncio.Future[_Result] = self._loop.create_future()
        self._queue.put((texts, fut))
        if self.metrics is not None:
            self.metrics.queue.set(self._queue.qsize())
        return await fut

    # -- the model thread -------------------------------------------------------------------

    def _gather(self, first: Any) -> list[_Item] | None:
        """``first`` and what joins it; None when told to stop."""
        if first is _STOP:
            return None
        batch, n = [first], len(first[0])
        deadline = time.monotonic() + (self.max_wait if self._busy else 0.0)
        while n < self.max_batch_size:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                left = deadline - time.monotonic()
                if n >= self._linger_below or left <= 0:
                    break
                try:
                    item = self._queue.get(timeout=left)
                except queue.Empty:
                    break
            if item is _STOP:
                self._carry = _STOP
                break
            if n + len(item[0]) > self.max_batch_size:
                self._carry = item  # too big to join: it starts the next batch
                break
            batch.append(item)
            n += len(item[0])
        return batch

    def _work(self) -> None:
        loop = self._loop
        assert loop is not None
        while True:
            first, self._carry = self._carry, None
            batch = self._gather(first if first is not None else self._queue.get())
            if batch is None:
                return
            live = [(t, f) for t, f in batch if not f.cancelled()]
            if live:
                self._run_batch(loop, live)
            if self._carry is _STOP:
                return

    def _run_batch(self, loop: asyncio.AbstractEventLoop, live: list[_Item]) -> None:
        texts = [t for ts, _ in live for t in ts]
        t0 = time.perf_counter()
        try:
            model = self.get_model()
            proba = self.call(model, texts)
        except Exception as exc:  # a model failure fails this batch only
            loop.call_soon_threadsafe(_fail, [f for _, f in live], exc)
            return
        self.calls += 1
        self._busy = len(live) > 1
        if self.metrics is not None:
            self.metrics.model_seconds.observe(time.perf_counter() - t0)
            self.metrics.batch_size.observe(len(texts))
            self.metrics.batch_requests.observe(len(live))
            self.metrics.queue.set(self._queue.qsize())
        answers, start = [], 0
        for ts, fut in live:
            answers.append((fut, (model, proba[start : start + len(ts)])))
            start += len(ts)
        loop.call_soon_threadsafe(_resolve, answers)  # one wake-up of the loop per batch
