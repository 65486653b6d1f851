"""Two heads that train a transformer encoder itself, from a sentence-transformers or Hugging
Face folder (the packaged MiniLM by default; ``model=PATH`` for any local one):

* ``finetune``: end to end, a linear layer on the mean-pooled token vectors, cross-entropy
  (optionally class-weighted), AdamW with warmup then linear decay, early stopping on the
  validation split;
* ``setfit``: SetFit's recipe, contrastive fine-tuning of the encoder on pairs of texts (same
  label: cosine 1, different: 0) and then a logistic regression on its embeddings: the
  few-shot candidate.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import softmax

from textops.embed import FineTunedEncoder, resolve_model
from textops.model._scores import macro_f1
from textops.model._trained_head import Exported, TrainedHead, weights_folder
from textops.model._training import LoopSpec, TrainingHooks, autocast, batches

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = ["FineTuneHead", "SetFitHead", "load_body"]


def load_body(model: str, device: str, max_length: int) -> SentenceTransformer:
    """The encoder as a SentenceTransformer (a plain HF folder gets mean pooling)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import transformers
    from sentence_transformers import SentenceTransformer

    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    transformers.utils.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    st = SentenceTransformer(str(resolve_model(model)), device=device, local_files_only=True)
    st.max_seq_length = max_length
    return st


class _Tokens:
    """Texts tokenised once; batches padded to their own longest row."""

    def __init__(self, st: Any, texts: list[str], max_length: int) -> None:
        tok = st.tokenizer
        enc = tok(texts, truncation=True, max_length=max_length)
        self.ids: list[list[int]] = enc["input_ids"]
        self.lengths = [len(i) for i in self.ids]
        self.pad = tok.pad_token_id or 0

    def batch(self, rows: np.ndarray, device: str) -> tuple[Any, Any]:
        import torch

        width = max(self.lengths[i] for i in rows)
        ids = torch.full((len(rows), width), self.pad, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for j, i in enumerate(rows):
            n = self.lengths[i]
            ids[j, :n] = torch.tensor(self.ids[i])
            mask[j, :n] = 1
        return ids.to(device), mask.to(device)


def _mean_pool(st: Any, ids: Any, mask: Any) -> Any:
    out = st[0].auto_model(input_ids=ids, attention_mask=mask).last_hidden_state
    m = mask.unsqueeze(-1).to(out.dtype)
    return (out * m).sum(1) / m.sum(1).clamp(min=1e-9)


def _save_body(st: Any, owner: object, max_length: int) -> str:
    """The trained encoder as a sentence-transformers folder with mean pooling."""
    from sentence_transformers import SentenceTransformer

    try:
        from sentence_transformers.sentence_transformer.modules import Pooling
    except ImportError:  # sentence-transformers 5
        from sentence_transformers.models import Pooling  # type: ignore[no-redef]

    folder = weights_folder(owner)
    dim = st[0].auto_model.config.hidden_size
    out = SentenceTransformer(modules=[st[0], Pooling(dim, "mean")], device="cpu")
    out.max_seq_length = max_length
    out.save(str(folder))
    return str(folder)


class FineTuneHead(TrainedHead):
    def __init__(
        self,
        *,
        model: str = "all-MiniLM-L6-v2",
        lr: float = 5e-5,
        epochs: int = 3,
        batch_size: int = 16,
        max_length: int = 128,
        warmup: float = 0.1,
        weight_decay: float = 0.01,
        class_weight: str | None = None,
        patience: int = 1,
        device: str = "auto",
        threads: int | None = None,
        seed: int = 0,
    ) -> None:
        self.model = model
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.max_length = max_length
        self.warmup = warmup
        self.weight_decay = weight_decay
        self.class_weight = class_weight
        self.patience = patience
        self.device = device
        self.threads = threads
        self.seed = seed

    def _train(
        self,
        texts: list[str],
        y: np.ndarray,
        val: tuple[list[str], np.ndarray] | None,
        hooks: TrainingHooks,
    ) -> None:
        import torch

        dev = self.device_
        st = self.body_ = load_body(self.model, dev, self.max_length)
        transformer: Any = st[0]  # sentence-transformers' Transformer module
        linear, drop, loss_fn = self._classifier(transformer.auto_model.config.hidden_size, y, 0.1)
        toks = _Tokens(st, texts, self.max_length)
        target = torch.as_tensor(y)

        def step(rows: np.ndarray) -> Any:
            ids, mask = toks.batch(rows, dev)
            with autocast(dev):
                logits = linear(drop(_mean_pool(st, ids, mask)))
            return loss_fn(logits.float(), target[rows].to(dev))

        def validate() -> float | None:
            return None if val is None else macro_f1(val[1], self._predict_codes(val[0]))

        params = list(st.parameters()) + list(linear.parameters())
        spec = LoopSpec(step, params, toks.lengths, validate, modules=[st, linear])
        self._fit_loop(
            spec,
            hooks,
            weight_decay=self.weight_decay,
            patience=self.patience,
            keep_best=[st, linear],
        )

    def encoder_passes(self, n_texts: int) -> int:
        return n_texts

    def _logits(self, texts: list[str]) -> np.ndarray:
        import torch

        st, dev = self.body_, self.device_
        toks = _Tokens(st, texts, self.max_length)
        out = np.zeros((len(texts), len(self.classes_)), dtype=np.float32)
        with torch.inference_mode():
            for rows in batches(toks.lengths, 64, shuffle=False):
                ids, mask = toks.batch(rows, dev)
                with autocast(dev):
                    out[rows] = self.linear_(_mean_pool(st, ids, mask)).float().cpu().numpy()
        return out

    def _proba(self, texts: list[str]) -> np.ndarray:
        return np.asarray(softmax(self._logits(texts), axis=1))

    def export(self) -> Exported:
        enc = FineTunedEncoder(normalize=False)
        enc.model = _save_body(self.body_, enc, self.max_length)
        return self._linear_export("finetuned", enc)


def _pairs(y: np.ndarray, iterations: int, max_pairs: int, seed: int) -> np.ndarray:
    """SetFit's pair sampling: for every text and iteration one text of its label (target 1)
    and one of another (target 0); at most ``max_pairs``. Rows of (a, b, target)."""
    rng = np.random.default_rng(seed)
    by_label = {c: np.flatnonzero(y == c) for c in np.unique(y)}
    others = {c: np.flatnonzero(y != c) for c in by_label}
    out = []
    for _ in range(iterations):
        for i in rng.permutation(len(y)):
            c = y[i]
            out.append((i, rng.choice(by_label[c]), 1))
            if len(others[c]):
                out.append((i, rng.choice(others[c]), 0))
    pairs = np.array(out, dtype=np.int64)
    if len(pairs) > max_pairs:
        pairs = pairs[rng.choice(len(pairs), max_pairs, replace=False)]
    return pairs


class SetFitHead(TrainedHead):
    def __init__(
        self,
        *,
        model: str = "all-MiniLM-L6-v2",
        lr: float = 1e-4,
        iterations: int = 5,
        max_pairs: int = 2000,
        pairs: str = "in_batch",
        epochs: int = 4,
        batch_size: int = 16,
        max_length: int = 128,
        warmup: float = 0.1,
        C: float = 1.0,
        class_weight: str | None = None,
        device: str = "auto",
        threads: int | None = None,
        seed: int = 0,
    ) -> None:
        self.model = model
        self.lr = lr
        self.iterations = iterations
        self.max_pairs = max_pairs
        self.pairs = pairs
        self.epochs = epochs
        self.batch_size = batch_size
        self.max_length = max_length
        self.warmup = warmup
        self.C = C
        self.class_weight = class_weight
        self.device = device
        self.threads = threads
        self.seed = seed

    def _embed(self, texts: list[str]) -> np.ndarray:
        out = self.body_.encode(
            texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(out, dtype=np.float32)

    def _fit_lr(self, texts: list[str], y: np.ndarray) -> None:
        from sklearn.linear_model import LogisticRegression

        lr = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=3000)
        self.lr_head_ = lr.fit(self._embed(texts), self.classes_[y])

    def _train(
        self,
        texts: list[str],
        y: np.ndarray,
        val: tuple[list[str], np.ndarray] | None,
        hooks: TrainingHooks,
    ) -> None:

        dev = self.device_
        st = self.body_ = load_body(self.model, dev, self.max_length)
        toks = _Tokens(st, texts, self.max_length)
        if self.pairs == "in_batch":
            step, lengths = self._in_batch_step(st, toks, y)
        elif self.pairs == "sampled":
            step, lengths = self._sampled_step(st, toks, y)
        else:
            raise ValueError(f"pairs={self.pairs!r}: choose in_batch or sampled")

        def validate() -> float | None:
            # the head is what validation scores: fitted on the body as it is now
            self._fit_lr(texts, y)
            return None if val is None else macro_f1(val[1], self._predict_codes(val[0]))

        spec = LoopSpec(step, list(st.parameters()), lengths, validate, modules=[st])
        self._fit_loop(spec, hooks, weight_decay=0.0, patience=self.epochs)

    def _sampled_step(self, st: Any, toks: _Tokens, y: np.ndarray) -> tuple[Any, list[int]]:
        """SetFit's own recipe: each batch row is a sampled pair (cosine 1 or 0), two encoder
        passes per pair."""
        import torch

        dev = self.device_
        pairs = _pairs(y, self.iterations, self.max_pairs, self.seed)

        def step(rows: np.ndarray) -> Any:
            a, b, t = pairs[rows, 0], pairs[rows, 1], pairs[rows, 2]
            ids, mask = toks.batch(np.concatenate([a, b]), dev)
            with autocast(dev):
                emb = _mean_pool(st, ids, mask).float()
            u, v = emb[: len(rows)], emb[len(rows) :]
            cos = torch.nn.functional.cosine_similarity(u, v)
            return torch.nn.functional.mse_loss(cos, torch.as_tensor(t, dtype=cos.dtype).to(dev))

        return step, [max(toks.lengths[a], toks.lengths[b]) for a, b, _ in pairs]

    def _in_batch_step(self, st: Any, toks: _Tokens, y: np.ndarray) -> tuple[Any, list[int]]:
        """The same loss on every pair inside a batch of texts: a batch of B texts gives
        B(B-1)/2 pairs for B encoder passes (SetFit's sampling spends two passes per pair).
        An epoch is ``iterations`` shuffled passes over the texts; batches are drawn at
        random, not by length: texts of one label are often of one length (spam is long)."""
        import torch

        dev = self.device_
        n = len(y)
        codes = torch.as_tensor(y)

        def step(rows: np.ndarray) -> Any:
            texts = rows % n
            ids, mask = toks.batch(texts, dev)
            with autocast(dev):
                emb = torch.nn.functional.normalize(_mean_pool(st, ids, mask).float(), dim=1)
            cos = emb @ emb.T
            lab = codes[texts]
            target = (lab[:, None] == lab[None, :]).to(cos.dtype).to(dev)
            idx = torch.as_tensor(texts)
            keep = torch.triu(idx[:, None] != idx[None, :], diagonal=1).to(dev)
            if not bool(keep.any()):  # a batch of one text: nothing to compare
                return (cos * 0).sum()
            # same-label and other-label pairs weigh alike, as SetFit samples them one to one
            # (with many labels most in-batch pairs are of two labels)
            err = (cos[keep] - target[keep]) ** 2
            same = target[keep] > 0.5
            parts = [err[m].mean() for m in (same, ~same) if bool(m.any())]
            return sum(parts) / len(parts)

        return step, [1] * (n * max(int(self.iterations), 1))

    def encoder_passes(self, n_texts: int) -> int:
        """Encoder forward + backward passes one epoch of ``n_texts`` texts takes."""
        if self.pairs == "sampled":
            return 2 * min(2 * n_texts * int(self.iterations), int(self.max_pairs))
        return n_texts * max(int(self.iterations), 1)

    def _proba(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.lr_head_.predict_proba(self._embed(texts)))

    def export(self) -> Exported:
        enc = FineTunedEncoder(normalize=True)
        enc.model = _save_body(self.body_, enc, self.max_length)
        return Exported("finetuned", enc, self.lr_head_)
