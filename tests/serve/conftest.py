"""A real MLflow store (sqlite) with two registered versions of a small 'topics' model."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import topic_rows


@dataclass(frozen=True)
class Registered:
    home: Path
    tracking_uri: str
    name: str
    versions: tuple[int, ...]


@pytest.fixture(scope="package")
def registered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registered]:
    from textops.data import MemorySource, ingest
    from textops.search import SearchConfig, run_search
    from textops.track import MlflowTracker, ModelRegistry, default_tracking_uri

    home = tmp_path_factory.mktemp("serve-home")
    ingest([MemorySource("topics", topic_rows())], "topics", home=home)
    versions = []
    for study, head in (("v1", "logreg"), ("v2", "knn")):
        cfg = SearchConfig(
            dataset="topics", embedders=("fake",), heads=(head,), trials=2, cv_folds=3, study=study
        )
        report = run_search(cfg, home=home, tracker=MlflowTracker(home=home), show_progress=False)
        versions.append(int(report["model_version"]))
    uri = default_tracking_uri(home)
    ModelRegistry(uri).promote("topics", versions[0])  # v1 is champion whatever the scores
    yield Registered(home, uri, "topics", tuple(versions))


@pytest.fixture
def settings_for(registered: Registered):  # type: ignore[no-untyped-def]
    from textops.serve import ServeSettings

    def make(**kw: object) -> ServeSettings:
        base = {
            "model_uri": f"models:/{registered.name}@champion",
            "tracking_uri": registered.tracking_uri,
            "home": str(registered.home),
            "poll_seconds": 0,
        }
        return ServeSettings.model_validate({**base, **kw})

    return make
