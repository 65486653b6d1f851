"""Typed values as JSON, by one walk over their dataclass fields.

A report (a search's, a registration's comparison, a model's scores) is a frozen dataclass;
what ``--json`` prints and what is logged with a run is that value as plain JSON. Each field
says in its metadata how it appears there, so the JSON form is declared next to the field and
nested values need no method of their own (a report does not call into the package of each
value it holds to print itself)::

    latency_ms: float | None = field(default=None, metadata=OMIT_NONE)

``OMIT``: never (live objects, internal bookkeeping); ``OMIT_NONE``: left out when None;
``OMIT_FALSE``: left out when false; ``drop(*keys)``: the nested value without those keys.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

__all__ = ["OMIT", "OMIT_FALSE", "OMIT_NONE", "drop", "to_json"]

_KEY = "textops.json"
OMIT = MappingProxyType({_KEY: "omit"})
OMIT_NONE = MappingProxyType({_KEY: "omit_none"})
OMIT_FALSE = MappingProxyType({_KEY: "omit_false"})


def drop(*keys: str) -> Mapping[str, object]:
    """Field metadata: the nested value's JSON without ``keys`` (left out when None)."""
    return MappingProxyType({_KEY: "omit_none", f"{_KEY}.drop": keys})


def to_json(value: Any) -> Any:
    """``value`` as JSON-ready Python: dataclasses as dicts by their fields' metadata, lists,
    tuples and dicts walked, anything else as is (what ``dataclasses.asdict`` would give)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            how = f.metadata.get(_KEY)
            item = getattr(value, f.name)
            if how == "omit" or (how == "omit_none" and item is None):
                continue
            if how == "omit_false" and not item:
                continue
            plain = to_json(item)
            for key in f.metadata.get(f"{_KEY}.drop", ()):
                if isinstance(plain, dict):
                    plain.pop(key, None)
            out[f.name] = plain
        return out
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, tuple):
        return tuple(to_json(v) for v in value)
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value
