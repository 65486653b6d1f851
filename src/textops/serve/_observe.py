"""Drift watching while serving: the batch call that hands each batch's texts, embeddings and
predicted labels to the drift monitor, and the loop that recomputes drift every few minutes.

Both run at request time (the model thread, the event loop), not when the app is built."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import numpy as np

from textops.monitor import DriftMonitor
from textops.serve._model import ServedModel
from textops.serve._swap import ModelHolder

__all__ = ["drift_loop", "observing"]

log = logging.getLogger("textops.serve")


def observing(drift: DriftMonitor) -> Callable[[ServedModel, list[str]], np.ndarray]:
    """A batch call that also hands the batch to ``drift`` (one encode serves both)."""

    def call(model: ServedModel, texts: list[str]) -> np.ndarray:
        scored = model.clf.predict_with_embeddings(texts)
        labels = model.labels
        drift.observe(model, texts, scored.embeddings, [labels[i] for i in scored.proba.argmax(1)])
        return scored.proba

    return call


async def drift_loop(drift: DriftMonitor, holder: ModelHolder, every: float) -> None:
    """Recompute drift of the classifier serving now every ``every`` seconds."""
    while True:
        await asyncio.sleep(every)
        current = holder.current
        if current is None or current.kind != "classifier":
            continue
        try:
            await asyncio.to_thread(drift.compute, current)
        except Exception as exc:  # a failed drift check must not stop the loop
            log.warning("drift computation failed: %s", exc)
