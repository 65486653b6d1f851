"""Embedding stage: backends behind one :class:`Embedder` interface and a content-addressed cache."""

from textops.embed._base import Embedder, FoldViews, hash_model_files, library_versions
from textops.embed._cache import CacheSpace, EmbeddingCache
from textops.embed._encode import EncodeResult, embed_dataset, encode_texts, text_keys
from textops.embed._fake import HashingFakeEmbedder
from textops.embed._hybrid import HybridEmbedder
from textops.embed._linguistic import FEATURE_NAMES, LinguisticFeatures
from textops.embed._registry import EMBEDDERS, EmbedderSpec, make_embedder
from textops.embed._sbert import PACKAGED_MODELS, SentenceTransformerEmbedder
from textops.embed._shard import DamagedShardError
from textops.embed._static import StaticModelEmbedder
from textops.embed._tfidf import TfidfEmbedder
from textops.embed._verify import verify_cache

__all__ = [
    "EMBEDDERS",
    "FEATURE_NAMES",
    "PACKAGED_MODELS",
    "CacheSpace",
    "DamagedShardError",
    "Embedder",
    "EmbedderSpec",
    "EmbeddingCache",
    "EncodeResult",
    "FoldViews",
    "HashingFakeEmbedder",
    "HybridEmbedder",
    "LinguisticFeatures",
    "SentenceTransformerEmbedder",
    "StaticModelEmbedder",
    "TfidfEmbedder",
    "embed_dataset",
    "encode_texts",
    "hash_model_files",
    "library_versions",
    "make_embedder",
    "text_keys",
    "verify_cache",
]
