"""Typed values as JSON: what each field's metadata says, nested values included."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from textops import to_json
from textops._json import OMIT, OMIT_FALSE, OMIT_NONE, drop
from textops.model import evaluate
from textops.track import Comparison


@dataclass(frozen=True)
class Inner:
    a: int
    secret: str = field(default="x", metadata=OMIT)


@dataclass(frozen=True)
class Outer:
    inner: Inner = field(metadata=drop("a"))
    items: tuple[Inner, ...] = ()
    maybe: float | None = field(default=None, metadata=OMIT_NONE)
    flag: bool = field(default=False, metadata=OMIT_FALSE)
    plain: float | None = None
    by_key: dict[str, Inner] = field(default_factory=dict)


def test_fields_say_how_they_appear_and_nested_values_follow_their_own_fields() -> None:
    out = to_json(Outer(Inner(1), (Inner(2),), by_key={"k": Inner(3, "y")}))
    assert out == {"inner": {}, "items": ({"a": 2},), "plain": None, "by_key": {"k": {"a": 3}}}
    shown = to_json(Outer(Inner(1), maybe=0.5, flag=True))
    assert shown["maybe"] == 0.5 and shown["flag"] is True
    assert json.loads(json.dumps(out))["items"] == [{"a": 2}]


def test_scores_and_a_comparison_keep_the_keys_json_printed() -> None:
    import numpy as np

    scores = evaluate(["a", "b"], np.array([[0.9, 0.1], [0.2, 0.8]]), ["a", "b"])
    plain = to_json(scores)
    assert "latency_ms_per_text" not in plain and plain["confusion_matrix"] == [[1, 0], [0, 1]]
    assert plain["per_class"]["a"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    cmp = to_json(Comparison("first version", new_version=1, new_macro_f1=0.9))
    assert cmp == {"reason": "first version", "new_version": 1, "new_macro_f1": 0.9}
