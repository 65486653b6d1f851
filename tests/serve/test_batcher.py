"""Micro-batching: concurrent requests share model calls and each gets its own slice back."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from textops.serve import create_app
from textops.serve._batcher import MicroBatcher


class SlowModel:
    """Probabilities that encode each text, so a wrong slice is visible."""

    def __init__(self, delay: float = 0.02) -> None:
        self.labels = ["a", "b"]
        self.delay = delay
        self.batches: list[int] = []

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        time.sleep(self.delay)
        self.batches.append(len(texts))
        p = np.array([int(t) / 1000 for t in texts])
        return np.stack([p, 1 - p], axis=1)


def _run(batcher: MicroBatcher, requests: list[list[str]]) -> list[Any]:
    async def main() -> list[Any]:
        await batcher.start()
        try:
            return await asyncio.gather(*(batcher.submit(r) for r in requests))
        finally:
            await batcher.stop()

    return asyncio.run(main())


def test_concurrent_requests_share_model_calls_and_get_their_own_rows() -> None:
    model = SlowModel()
    batcher = MicroBatcher(lambda: model, max_batch_size=64, max_wait_ms=5)
    requests = [[str(i), str(i + 500)] for i in range(40)]
    answers = _run(batcher, requests)
    assert batcher.calls == len(model.batches) < len(requests) / 4
    for req, (who, proba) in zip(requests, answers, strict=True):
        assert who is model
        np.testing.assert_allclose(proba[:, 0], [int(t) / 1000 for t in req])


def test_batches_never_exceed_the_max_size_unless_one_request_is_bigger() -> None:
    model = SlowModel(0.005)
    batcher = MicroBatcher(lambda: model, max_batch_size=8, max_wait_ms=5)
    requests = [[str(i)] * 3 for i in range(20)] + [[str(i) for i in range(20)]]
    answers = _run(batcher, requests)
    assert max(model.batches) == 20 and sorted(model.batches)[-2] <= 8
    assert sum(model.batches) == 3 * 20 + 20
    np.testing.assert_allclose(answers[-1][1][:, 0], [i / 1000 for i in range(20)])


def test_a_model_error_fails_its_batch_only() -> None:
    class Flaky(SlowModel):
        def predict_proba(self, texts: list[str]) -> np.ndarray:
            if "666" in texts:
                raise RuntimeError("boom")
            return super().predict_proba(texts)

    model = Flaky(0.0)
    batcher = MicroBatcher(lambda: model, max_batch_size=1, max_wait_ms=0)

    async def main() -> list[Any]:
        await batcher.start()
        try:
            return await asyncio.gather(
                batcher.submit(["666"]), batcher.submit(["1"]), return_exceptions=True
            )
        finally:
            await batcher.stop()

    bad, good = asyncio.run(main())
    assert isinstance(bad, RuntimeError)
    np.testing.assert_allclose(good[1][:, 0], [0.001])


def test_app_merges_concurrent_http_requests(settings_for: Any) -> None:
    app = create_app(settings_for(max_wait_ms=20))
    results: list[int] = []
    with TestClient(app) as c:
        model = app.state.service.holder.current
        slow = model.classifier.predict_proba

        def delayed(texts: list[str]) -> np.ndarray:
            time.sleep(0.05)  # a model call long enough for requests to pile up
            return slow(texts)

        object.__setattr__(model.classifier, "predict_proba", delayed)
        expected = {t: model.classifier.predict([t])[0] for t in ("bank loan", "goal team")}

        def call(i: int) -> None:
            text = "bank loan" if i % 2 else "goal team"
            r = c.post("/v1/predict", json={"texts": [text]})
            assert r.json()["predictions"][0]["label"] == expected[text]
            results.append(r.status_code)

        threads = [threading.Thread(target=call, args=(i,)) for i in range(16)]
        before = app.state.service.batcher.calls
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        calls = app.state.service.batcher.calls - before
    assert results == [200] * 16
    assert calls < 16
