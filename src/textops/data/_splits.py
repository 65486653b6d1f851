"""Deterministic train / validation / test assignment by a hash of the text and the seed.

A row's split depends only on its normalised text and the seed, never on the other rows, so
adding rows to a dataset never moves an existing row to another split: no test text leaks into a
later version's train split. Because the hash is uniform and independent of the label, every
label is split in the configured proportions in expectation (stratified wherever a label has
enough rows; a label with very few rows may miss a split, which the manifest's per-split label
counts show).
"""

from __future__ import annotations

import hashlib

from textops.data._schema import SplitOptions

__all__ = ["SPLITS", "assign_split", "assign_splits", "split_position"]

SPLITS = ("train", "validation", "test")


def split_position(text_digest: bytes, seed: int) -> float:
    """A uniform number in [0, 1) fixed by the text's digest and the seed."""
    h = hashlib.blake2b(text_digest, digest_size=8, key=str(seed).encode()).digest()
    return int.from_bytes(h, "big") / 2**64


def assign_split(text_digest: bytes, options: SplitOptions) -> str:
    u = split_position(text_digest, options.seed)
    if u < options.test:
        return "test"
    if u < options.test + options.validation:
        return "validation"
    return "train"


def assign_splits(text_digests: list[bytes], options: SplitOptions) -> list[str]:
    """:func:`assign_split` of each digest; the positions compared by numpy (an ingest
    assigns a million rows)."""
    import numpy as np

    key, blake2b = str(options.seed).encode(), hashlib.blake2b
    hashed = b"".join([blake2b(d, digest_size=8, key=key).digest() for d in text_digests])
    u = np.frombuffer(hashed, dtype=">u8").astype(np.float64) / 2**64
    where = (u >= options.test).astype(np.int8) + (u >= options.test + options.validation)
    names = np.array(["test", "validation", "train"], dtype=object)
    return names[where].tolist()  # type: ignore[no-any-return]
