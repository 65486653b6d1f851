"""Each subpackage's __all__ names exactly its public objects (cf. httpx test_exported_members)."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = [
    "textops",
    "textops.data",
    "textops.embed",
    "textops.search",
    "textops.track",
    "textops.serve",
    "textops.monitor",
    "textops.errors",
    "textops.cli",
]


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
        and not isinstance(obj, type(importlib))
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
