"""Which rows of a chunk need repair and normalisation one by one, found a column at a time.

Most rows of most files are plain: printable ASCII, single spaces, nothing to repair or
normalise. Screening whole columns at once (one numpy pass over their code points) finds the
rest, which go through the validator's row-by-row checks; the plain ones skip them.
"""

from __future__ import annotations

from textops.data._chunk import RecordChunk
from textops.data._schema import IngestConfig

__all__ = ["flagged", "rows_to_check"]


def flagged(values: list[str], *, runs: bool, ampersand: bool = False) -> set[int]:
    """Indices of the ``values`` that are not plain: a character other than printable ASCII
    (a control character, a tab or line break, any non-ASCII text), a space at either end,
    with ``runs`` two spaces in a row, with ``ampersand`` an ``&``. One vectorised pass over
    the values' code points, joined by newlines."""
    if not values:
        return set()
    import numpy as np

    joined = "\n".join(values)
    if joined.isascii():
        cp = np.frombuffer(joined.encode("ascii"), np.uint8)
    else:
        cp = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), np.uint32)
    lengths = np.fromiter(map(len, values), np.int64, len(values)) + 1
    starts = np.cumsum(lengths) - lengths  # where each value begins in ``joined``
    newline = cp == 10
    bad = ((cp < 0x20) & ~newline) | (cp > 0x7E)
    newline[starts[1:] - 1] = False  # the separators; what is left is inside a value
    bad |= newline
    space = cp == 32
    edge = np.zeros(len(cp) + 1, bool)  # the first and last character of every value
    edge[starts] = True
    edge[starts + lengths - 2] = True  # (an empty value marks its separator: no space there)
    bad |= space & edge[:-1]
    if runs:
        bad[:-1] |= space[:-1] & space[1:]
    if ampersand:
        bad |= cp == 38
    hits = np.flatnonzero(bad)
    return set((np.searchsorted(starts, hits, side="right") - 1).tolist())


def rows_to_check(
    chunk: RecordChunk, config: IngestConfig, *, generation: bool
) -> set[int] | range:
    """Rows of ``chunk`` that need the row-by-row checks; the others' text is printable ASCII
    without runs of spaces, within the length limits, and their label printable ASCII: their
    repair and normalisation change nothing. Every row when a check must read every text
    anyway (languages, near-duplicates, symbols removed) or for a generation corpus."""
    c = config
    if c.languages or c.near_duplicates or c.keep == "text_punct" or generation:
        return range(len(chunk))
    texts, labels = chunk.texts, chunk.labels
    if None in texts or None in labels or "" in labels:
        bad = {i for i, (t, lab) in enumerate(zip(texts, labels, strict=True))
               if t is None or not lab}  # fmt: skip
    else:
        bad = set()
    bad |= chunk.problems.keys() | chunk.repaired
    bad |= flagged([t or "" for t in texts], runs=True, ampersand=c.unescape_html)
    bad |= flagged([lab or "" for lab in labels], runs=False)
    import numpy as np

    lengths = np.fromiter(map(len, (t or "" for t in texts)), np.int64, len(texts))
    short, long_ = lengths < max(c.min_chars, 1), lengths > c.max_chars
    bad.update(np.flatnonzero(short | long_).tolist())
    return bad
