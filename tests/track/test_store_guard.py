"""A registry nothing destroys: a moved store is never replaced by an empty one (CLI and a
running service alike), registration is idempotent, and an alias that cannot be read is an
error, not "no champion"."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests._serving import serving
from tests.conftest import topic_rows
from textops.cli import app
from textops.errors import RegistryError

runner = CliRunner()


def _registered_home(tmp_path: Path) -> Path:
    from textops.data import MemorySource, ingest
    from textops.search import SearchConfig, run_search
    from textops.track import MlflowTracker

    home = tmp_path / "home"
    ingest([MemorySource("topics", topic_rows(150))], "topics", home=home)
    cfg = SearchConfig(dataset="topics", embedders=("fake",), heads=("logreg",), trials=2,
                       cv_folds=3)  # fmt: skip
    run_search(cfg, home=home, tracker=MlflowTracker(home=home), show_progress=False)
    return home


def _intact(db: Path) -> bool:
    con = sqlite3.connect(db)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()


def test_checked_store_records_a_store_and_refuses_a_gone_one(tmp_path: Path) -> None:
    from textops.track import checked_store

    uri = f"sqlite:///{tmp_path / 'reg' / 'mlflow.db'}"
    assert checked_store(uri) == uri  # a new store: made and recorded
    assert (tmp_path / "reg" / "mlflow.db").exists()
    assert (tmp_path / "reg" / ".mlflow.db.textops").exists()
    (tmp_path / "reg" / "mlflow.db").rename(tmp_path / "moved.db")
    with pytest.raises(RegistryError, match="moved or deleted"):
        checked_store(uri)
    assert not (tmp_path / "reg" / "mlflow.db").exists()  # nothing made in its place
    assert checked_store("postgresql://u@h/db") == "postgresql://u@h/db"  # not a file


def test_a_moved_registry_is_an_error_for_every_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = _registered_home(tmp_path)
    monkeypatch.setenv("TEXTOPS_HOME", str(home))
    db = home / "mlflow.db"
    db.rename(tmp_path / "elsewhere.db")
    for command in (["models", "list"], ["models", "show", "topics"],
                    ["predict", "models:/topics@champion", "goal"]):  # fmt: skip
        res = runner.invoke(app, command)
        assert res.exit_code == 2, (command, res.output)
        assert "is gone" in res.output and "Traceback" not in res.output
    assert not db.exists()  # no empty registry in its place
    assert _intact(tmp_path / "elsewhere.db")
    (tmp_path / "elsewhere.db").rename(db)  # put back: works again
    assert runner.invoke(app, ["models", "list"]).exit_code == 0


@pytest.mark.integration
def test_a_service_whose_registry_moves_stops_reporting_ready(tmp_path: Path) -> None:
    """``mv mlflow.db elsewhere`` while ``serve`` runs: its alias poller says not ready with
    the reason (it opens nothing), predictions from the loaded model go on, the moved file
    stays intact; put back, the service is ready again."""
    import httpx2 as httpx

    home = _registered_home(tmp_path)
    env = {**os.environ, "TEXTOPS_HOME": str(home)}
    db, moved = home / "mlflow.db", tmp_path / "moved.db"
    args = ["models:/topics@champion", "--poll-seconds", "0.3", "--no-monitor"]
    with serving(args, env) as (url, _):
        db.rename(moved)
        for _ in range(50):
            ready = httpx.get(f"{url}/readyz", timeout=2)
            if ready.status_code == 503:
                break
            time.sleep(0.1)
        assert ready.status_code == 503 and "is gone" in ready.json()["detail"], ready.text
        assert httpx.post(f"{url}/v1/predict", json={"texts": ["goal team"]}).status_code == 200
        time.sleep(1.0)  # several polls later: still nothing created at the old path
        assert not db.exists()
        assert _intact(moved)
        moved.rename(db)
        for _ in range(50):
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                break
            time.sleep(0.1)
        assert httpx.get(f"{url}/readyz", timeout=2).status_code == 200


def test_registering_a_new_name_twice_at_once_succeeds(tmp_path: Path) -> None:
    """Two searches that register the same new model name at once: the slower one finds the
    name taken and still registers its version (it used to fail RESOURCE_ALREADY_EXISTS)."""
    from mlflow.exceptions import MlflowException

    from textops.track import ModelRegistry

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    first, second = ModelRegistry(uri), ModelRegistry(uri)
    # the race: the second one looked before the first created the name
    second.client.get_registered_model = lambda name: (_ for _ in ()).throw(  # type: ignore[method-assign]
        MlflowException("not found", error_code="RESOURCE_DOES_NOT_EXIST")
    )
    assert first._new_version("fresh", "file:///a", "", {}) == 1
    assert second._new_version("fresh", "file:///b", "", {}) == 2
    barrier = threading.Barrier(3)
    versions: list[int] = []
    errors: list[BaseException] = []

    def register(i: int) -> None:
        reg = ModelRegistry(uri)
        barrier.wait()
        try:
            versions.append(reg._new_version("racing", f"file:///{i}", "", {}))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=register, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and sorted(versions) == [1, 2, 3]


def test_an_alias_that_cannot_be_read_is_an_error_not_no_champion(tmp_path: Path) -> None:
    from mlflow.exceptions import MlflowException

    from textops.track import ModelRegistry

    reg = ModelRegistry(f"sqlite:///{tmp_path / 'mlflow.db'}")
    assert reg.alias_version("nothing", "champion") is None  # no such model: no champion
    reg._new_version("m", "file:///a", "", {})  # a version, and no alias yet
    assert reg.alias_version("m", "champion") is None  # no such alias: no champion

    def broken(name: str, alias: str) -> None:
        raise MlflowException("database is locked", error_code="INTERNAL_ERROR")

    reg.client.get_model_version_by_alias = broken  # type: ignore[method-assign]
    with pytest.raises(RegistryError, match="cannot read alias"):
        reg.alias_version("m", "champion")
    with pytest.raises(RegistryError):
        reg.register_classifier(name="m", source="file:///b", run_id="", tags={},
                                macro_f1=0.1, fingerprint="f")  # fmt: skip
    reg.client.get_model_version_by_alias = ModelRegistry(reg.uri).client.get_model_version_by_alias  # type: ignore[method-assign]
    assert reg.alias_version("m", "champion") is None  # the failed register promoted nothing
