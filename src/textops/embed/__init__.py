"""Embedding stage: backends behind one :class:`Embedder` interface and a content-addressed cache."""

from textops.embed._base import Embedder, FoldViews
from textops.embed._cache import EmbeddingCache
from textops.embed._cluster import ClusterRun, cluster_client, fill_cache_on_cluster, parse_cluster
from textops.embed._encode import embed_dataset, encode_texts, text_keys
from textops.embed._flow import semantic_flow
from textops.embed._hybrid import HybridEmbedder
from textops.embed._onnx import OnnxSentenceEncoder
from textops.embed._registry import EMBEDDERS, make_embedder
from textops.embed._sbert import SentenceTransformerEmbedder, resolve_model
from textops.embed._stacked import StackedEmbedder
from textops.embed._threads import free_cpus, torch_threads
from textops.embed._trained import (
    BILSTM_CONFIG,
    BILSTM_WEIGHTS,
    BiLSTMConfig,
    BiLSTMEncoder,
    FineTunedEncoder,
    build_bilstm,
    pad_tokens,
)
from textops.embed._verify import verify_cache

__all__ = [
    "BILSTM_CONFIG",
    "BILSTM_WEIGHTS",
    "EMBEDDERS",
    "BiLSTMConfig",
    "BiLSTMEncoder",
    "ClusterRun",
    "Embedder",
    "EmbeddingCache",
    "FineTunedEncoder",
    "FoldViews",
    "HybridEmbedder",
    "OnnxSentenceEncoder",
    "SentenceTransformerEmbedder",
    "StackedEmbedder",
    "build_bilstm",
    "cluster_client",
    "embed_dataset",
    "encode_texts",
    "fill_cache_on_cluster",
    "free_cpus",
    "make_embedder",
    "pad_tokens",
    "parse_cluster",
    "resolve_model",
    "semantic_flow",
    "text_keys",
    "torch_threads",
    "verify_cache",
]
