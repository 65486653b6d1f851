"""The real packaged MiniLM, offline (HF_HUB_OFFLINE=1)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from textops.embed import EmbeddingCache, SentenceTransformerEmbedder, encode_texts
from textops.errors import ModelNotFoundError

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder().fit([])


def test_minilm_gives_normalised_384_dim_vectors_that_mean_something(
    minilm: SentenceTransformerEmbedder,
) -> None:
    v = minilm.transform(
        ["the cat sat on the mat", "a kitten is sitting on a rug", "quarterly profits rose sharply"]
    )
    assert v.shape == (3, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2


def test_minilm_round_trips_through_the_cache_exactly(
    minilm: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    texts = [f"sentence {i} about the weather" for i in range(40)]
    cache = EmbeddingCache(tmp_path)
    cold = encode_texts(minilm, texts, cache)
    warm = encode_texts(minilm, texts, EmbeddingCache(tmp_path))
    assert warm.hits == 40
    np.testing.assert_array_equal(cold.vectors, warm.vectors)


def test_unknown_model_fails_fast_without_reaching_a_hub() -> None:
    start = time.perf_counter()
    with pytest.raises(ModelNotFoundError, match="never downloads"):
        SentenceTransformerEmbedder(model="sentence-transformers/LaBSE").fit([])
    assert time.perf_counter() - start < 5


def test_folder_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="not a sentence-transformers model"):
        SentenceTransformerEmbedder(model=str(tmp_path)).fit([])


def test_max_seq_length_is_part_of_the_identity() -> None:
    a = SentenceTransformerEmbedder().identity()
    b = SentenceTransformerEmbedder(max_seq_length=128).identity()
    assert a["options"]["max_seq_length"] == 256 and a != b
