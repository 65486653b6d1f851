"""A dataset version as the search reads it: its three splits as plain Python lists (safe for
scikit-learn indexing), and every text with its key for the embedding cache."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from statistics import median

from textops.data import LabelledVersion
from textops.errors import ConfigError

__all__ = ["SearchData", "Split"]


@dataclass(frozen=True)
class Split:
    texts: list[str]
    labels: list[str]
    keys: list[bytes]  # sha256 of each normalised text: the embedding cache's key

    def __len__(self) -> int:
        return len(self.texts)

    def __add__(self, other: Split) -> Split:
        return Split(self.texts + other.texts, self.labels + other.labels, self.keys + other.keys)


@dataclass(frozen=True)
class SearchData:
    train: Split
    validation: Split
    test: Split
    #: every text of the version (all splits), for filling the embedding cache at once
    all_texts: list[str]
    all_keys: list[bytes]
    #: the version's LLM-written rows (texts, labels), training material for the llm recipe
    synthetic: tuple[list[str], list[str]] | None = None

    @classmethod
    def of(cls, version: LabelledVersion) -> SearchData:
        texts, labels, keys, splits = version.texts, version.labels, version.keys, version.splits

        def split(name: str) -> Split:
            idx = [i for i, s in enumerate(splits) if s == name]
            return Split([texts[i] for i in idx], [labels[i] for i in idx], [keys[i] for i in idx])

        made = version.synthetic
        synthetic = None if made is None else (made.texts, made.labels)
        return cls(split("train"), split("validation"), split("test"), texts, keys, synthetic)

    def median_per_label(self) -> float:
        """Median labelled rows per label over every split."""
        counts = Counter(self.train.labels + self.validation.labels + self.test.labels)
        return float(median(counts.values())) if counts else 0.0

    def pooled(self) -> SearchData:
        """Every labelled row as the train split (few labels: CV on all rows is a better
        judge and estimate than a dozen held-out rows)."""
        empty = Split([], [], [])
        return SearchData(
            self.refit + self.test, empty, empty, self.all_texts, self.all_keys, self.synthetic
        )

    @property
    def refit(self) -> Split:
        """What the winner is refitted on: train + validation."""
        return self.train + self.validation

    def cv_folds(self, wanted: int) -> int:
        """Stratified folds the train split allows (its rarest label bounds them)."""
        counts = Counter(self.train.labels)
        smallest = min(counts.values())
        if smallest < 2:
            rare = sorted((lab for lab, n in counts.items() if n < 2), key=str)
            shown = ", ".join(f"{lab!r}: {counts[lab]}" for lab in rare[:10])
            more = f" and {len(rare) - 10} more" if len(rare) > 10 else ""
            raise ConfigError(
                f"labels with fewer than 2 training rows (stratified CV needs 2 or more): "
                f"{shown}{more}. Add rows of them, or ingest again without them: textops data "
                "ingest FILE --set min_rows_per_label=N quarantines the rows of labels with "
                "fewer than N rows, --set label_map=FILE.yaml merges labels (e.g. ratings into "
                "negative/neutral/positive)"
            )
        return min(wanted, smallest)
