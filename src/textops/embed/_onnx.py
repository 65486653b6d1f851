"""A sentence-transformers encoder exported to ONNX, run by ONNX Runtime (no torch at run time).

The graph holds the transformer, mean pooling over the attention mask and L2 normalisation; the
tokenizer is the model folder's ``tokenizer.json`` (Hugging Face ``tokenizers``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from textops._types import Target
from textops.embed._base import Embedder, in_length_order

__all__ = ["ONNX_INPUTS", "OnnxSentenceEncoder"]

ONNX_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class OnnxSentenceEncoder(Embedder):
    """Runs ``onnx_path`` on texts tokenized with ``model_dir``'s tokenizer. Its numbers are the
    export's (checked against torch at export time), so it never shares the torch cache."""

    numeric_libraries: ClassVar[tuple[str, ...]] = ("numpy", "onnxruntime", "tokenizers")
    loads_model: ClassVar[bool] = True
    cacheable: ClassVar[bool] = False

    def __init__(
        self,
        *,
        onnx_path: str = "",
        model_dir: str = "",
        max_seq_length: int = 256,
        batch_size: int = 64,
        threads: int | None = None,
    ) -> None:
        self.onnx_path = onnx_path
        self.model_dir = model_dir
        self.max_seq_length = max_seq_length
        self.batch_size = batch_size
        self.threads = threads

    def _load(self) -> tuple[Any, Any, list[str]]:
        loaded = getattr(self, "session_", None)
        if loaded is None:
            import onnxruntime as ort
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(Path(self.model_dir) / "tokenizer.json"))
            tok.enable_truncation(self.max_seq_length)
            tok.enable_padding()
            opts = ort.SessionOptions()
            if self.threads:
                opts.intra_op_num_threads = self.threads
            if os.environ.get("OMP_WAIT_POLICY", "").upper() == "PASSIVE":
                # the same request as for torch's OpenMP threads: no spinning between ops (the
                # server sets it, so that waiting threads leave the CPU to the event loop)
                opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
            sess = ort.InferenceSession(self.onnx_path, opts, providers=["CPUExecutionProvider"])
            names = [i.name for i in sess.get_inputs()]
            loaded = self.session_ = (sess, tok, names)
        return loaded

    def fit(self, texts: Sequence[str], y: Target | None = None) -> OnnxSentenceEncoder:
        self._load()
        return self

    def _encode(self, texts: list[str]) -> np.ndarray:
        sess, tok, names = self._load()

        def run(batch: list[str]) -> np.ndarray:
            enc = tok.encode_batch(batch)
            feed = {
                "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64),
            }
            return np.asarray(sess.run(None, {k: v for k, v in feed.items() if k in names})[0])

        return in_length_order(texts, self.batch_size, run)

    def _model_id(self) -> str:
        h = hashlib.sha256()
        with Path(self.onnx_path).open("rb") as fh:
            while block := fh.read(1 << 20):
                h.update(block)
        return "sha256:" + h.hexdigest()
