"""Each subpackage's __all__ names exactly its public objects (cf. httpx test_exported_members)."""

from __future__ import annotations

import importlib

import pytest


def _subpackages() -> list[str]:
    """Every public subpackage (a new one is covered without an edit here)."""
    import pkgutil

    import textops

    found = [f"textops.{m.name}" for m in pkgutil.iter_modules(textops.__path__)
             if not m.name.startswith("_") and m.name != "demo"]  # fmt: skip
    return ["textops", *sorted(found)]


PACKAGES = _subpackages()


def test_every_stage_is_covered() -> None:
    assert {"textops.explain", "textops.gen", "textops.pipeline", "textops.serve"} <= set(PACKAGES)


@pytest.mark.parametrize("name", PACKAGES)
def test_all_matches_public_names(name: str) -> None:
    mod = importlib.import_module(name)
    exported = set(mod.__all__)
    for n in exported:  # names a package loads on first use (PEP 562) are defined by now
        getattr(mod, n)
    public = {
        n
        for n, obj in vars(mod).items()
        if not n.startswith("_")
        and (not isinstance(obj, type(importlib)) or n in exported)
        and n not in ("annotations", "TYPE_CHECKING")
    }
    assert exported - {"__version__"} == public
    for n in exported:
        assert hasattr(mod, n), n


def test_every_error_is_a_textops_error_and_a_builtin() -> None:
    from textops import errors

    for n in errors.__all__:
        cls = getattr(errors, n)
        assert issubclass(cls, errors.TextopsError)
        if cls is not errors.TextopsError:
            assert len(cls.__mro__) > 3, f"{n} should also subclass a builtin"


def test_the_top_level_is_a_dozen_names_for_the_whole_loop() -> None:
    import textops

    assert set(textops.__all__) == {
        "FileSource", "IngestConfig", "ingest", "SearchConfig", "search", "run_search",
        "load_model", "TextClassifier", "create_app", "ServeSettings", "TextopsError",
        "to_json", "__version__",
    }  # fmt: skip
    assert callable(textops.search)  # the stage's package is also its verb


def test_load_model_needs_only_a_uri_and_predicts(registered: object, monkeypatch: object) -> None:
    import textops
    from tests.conftest import Registered

    assert isinstance(registered, Registered)
    monkeypatch.setenv("TEXTOPS_HOME", str(registered.home))  # type: ignore[attr-defined]
    model = textops.load_model("models:/topics@champion")
    assert model.labels == ["money", "sport", "tech"]
    assert model.predict(["bank loan rate", "goal team match"]) == ["money", "sport"]
    assert model.predict_proba(["bank loan rate"]).shape == (1, 3)
