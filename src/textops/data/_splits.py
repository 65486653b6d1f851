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

__all__ = ["SPLITS", "assign_split", "split_position"]

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
