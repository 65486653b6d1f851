from __future__ import annotations

from pathlib import Path

import pytest

from textops.data import Dataset, IngestConfig, MemorySource, ingest

from .test_gen import corpus


@pytest.fixture
def horo(home: Path) -> Dataset:
    """A small corpus of horoscope-like texts, one sign as each text's prompt."""
    cfg = IngestConfig(task="generation")
    return ingest([MemorySource("horo", corpus())], "horo", cfg, home=home)
