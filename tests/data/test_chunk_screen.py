"""A chunk's plain rows skip repair and normalisation: the results must be the row path's."""

from __future__ import annotations

import random

import pytest

from textops.data import IngestConfig
from textops.data._chunk import RecordChunk
from textops.data._schema import NormalizationOptions, RawRecord, RejectReason
from textops.data._screen import flagged, rows_to_check
from textops.data._validate import Accepted, Rejected, Validator

PIECES = ["spam", "ham", "Free", "call", "now", " ", "  ", "\t", "\n", "\x07", "\x00", "é",
          "Ã©", "&amp;", "&", "\u00a0", "\x1c", "\ud800", "\udc9c", "😀", "x" * 40, ""]  # fmt: skip
LABELS = ["a", "b", " a", "a ", "B", "", None, "a\x07", "é", "c d", "a\tb", "x"]


HAND = ["two  spaces", " lead", "trail ", "tab\there", "new\nline", "fish &amp; chips", "Upper",
        "bell\x07", "caf\u00e9", "x", "nbsp\u00a0here"]  # fmt: skip


def _rows(n: int, seed: int) -> list[RawRecord]:
    rng = random.Random(seed)
    out = [RawRecord("s", 1, text, "a") for text in HAND]
    for i in range(n):
        text = (
            "".join(rng.choices(PIECES, k=rng.randint(0, 6)))
            if rng.random() < 0.5
            else (" ".join(rng.choices(["free", "cash", "prize", "meeting"], k=rng.randint(1, 4))))
        )
        if rng.random() < 0.05:
            text = None
        problem = RejectReason.MALFORMED_ROW if rng.random() < 0.02 else None
        out.append(RawRecord("s", i + 2, text, rng.choice(LABELS), problem=problem,
                             detail="bad" if problem else "",
                             encoding_repaired=rng.random() < 0.02))  # fmt: skip
    return out


def _plain(res: Accepted | Rejected) -> object:
    """A result as a chunk gives it: an accepted row's repairs are counted by the validator."""
    return (res.text, res.label, res.digest) if isinstance(res, Accepted) else res


CONFIGS = [
    IngestConfig(),
    IngestConfig(min_chars=5, max_chars=30, label_map={"b": "a"}),
    IngestConfig(unescape_html=True, normalization=NormalizationOptions(lowercase=True)),
    IngestConfig(labels=("a", "b"), control_chars="reject", repair_mojibake=False),
]


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("seed", [0, 1])
def test_a_chunk_is_judged_as_its_rows_one_by_one(config: IngestConfig, seed: int) -> None:
    rows = _rows(600, seed)
    rows += rows[:100]  # duplicates and conflicts with rows of an earlier chunk
    one_by_one, columns = Validator(config), Validator(config)
    expected, got = [], []
    for start in range(0, len(rows), 128):
        part, yields = rows[start : start + 128], start % 256 == 0
        expected += [_plain(one_by_one.check(r, yields=yields)) for r in part]
        judged = columns.check_chunk(RecordChunk.of("s", part), yields=yields)
        accepted = [(i, (t, lab, d)) for i, t, lab, d in
                    zip(judged.rows, judged.texts, judged.labels, judged.digests, strict=True)]  # fmt: skip
        merged = sorted([*accepted, *judged.rejected], key=lambda pair: pair[0])
        assert [i for i, _ in merged] == list(range(len(part)))
        got += [res for _, res in merged]
    assert got == expected
    assert columns.repairs == one_by_one.repairs
    assert columns.conflicting() == one_by_one.conflicting()
    assert columns.surviving() == one_by_one.surviving()
    others = rows_to_check(RecordChunk.of("s", rows), config, generation=False)
    assert len(others) < len(rows) * 7 / 8  # the screen lets the plain rows through


def test_flagged_finds_each_value_that_is_not_plain() -> None:
    values = ["ok", "", "a  b", " lead", "trail ", "fine", "tab\there", "new\nline", "é", "x",
              "a&b", "\x7f", " ", "\ud800", "😀 ok", "end"]  # fmt: skip
    assert flagged(values, runs=True) == {2, 3, 4, 6, 7, 8, 11, 12, 13, 14}
    assert flagged(values, runs=False, ampersand=True) == {3, 4, 6, 7, 8, 10, 11, 12, 13, 14}
    assert flagged([" a"], runs=False) == {0} and flagged([], runs=True) == set()
    assert flagged(["a", ""], runs=True) == set() and flagged(["", " "], runs=True) == {1}
