"""Batch prediction on a Dask cluster: the texts are cut into partitions, each worker loads the
registered model once (from the same tracking URI) and predicts its partitions, and the
probabilities come back in input order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["predict_on_cluster"]

#: texts per partition
PARTITION_ROWS = 2048

_WORKER_MODELS: dict[tuple[str, str], Any] = {}


def _predict_partition(uri: str, tracking_uri: str, texts: list[str]) -> np.ndarray:
    """On a worker: the model loads once per worker process."""
    clf = _WORKER_MODELS.get((uri, tracking_uri))
    if clf is None:
        import contextlib
        import os

        with contextlib.suppress(ImportError):
            import torch

            torch.set_num_threads(int(os.environ.get("TEXTOPS_WORKER_THREADS", "1")))
        from textops.track._pyfunc import load_classifier

        clf = _WORKER_MODELS[uri, tracking_uri] = load_classifier(uri, tracking_uri)[0]
    return np.asarray(clf.predict_proba(texts))


def predict_on_cluster(
    uri: str,
    tracking_uri: str,
    texts: Sequence[str],
    client: Client,
    *,
    partition_rows: int = PARTITION_ROWS,
    show_progress: bool | None = None,
) -> np.ndarray:
    """Class probabilities of ``texts`` (columns: the model's labels), predicted on
    ``client``'s workers, in input order."""
    from distributed import as_completed

    from textops._progress import progress

    parts = [list(texts[i : i + partition_rows]) for i in range(0, len(texts), partition_rows)]
    futures = [client.submit(_predict_partition, uri, tracking_uri, p, pure=False) for p in parts]
    order = {f.key: i for i, f in enumerate(futures)}
    out: list[np.ndarray | None] = [None] * len(parts)
    with progress(
        f"predict on {len(client.scheduler_info().get('workers', {}))} workers",
        len(texts),
        show_progress,
    ) as bar:
        for future in as_completed(futures):
            i = order[future.key]
            out[i] = future.result()
            bar.advance(len(parts[i]))
    return np.vstack([p for p in out if p is not None])
