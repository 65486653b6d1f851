"""Integrated gradients (Captum) for a sentence-transformers encoder under a linear head: a
fine-tuned model, or a frozen MiniLM / mpnet with logistic regression. The path runs from
padding-token embeddings to the text's, through the encoder, its pooling and the head, to
the class's decision value; sub-word attributions are summed into the words they belong to.

Needs ``pip install 'textops[explain]'`` (captum)."""

from __future__ import annotations

from typing import Any

import numpy as np

from textops._packages import require
from textops.explain._attribution import Attribution
from textops.explain._linear import linear_map
from textops.explain._occlusion import target_index
from textops.explain._words import split_words
from textops.model import TextClassifier

__all__ = ["ig_supported", "integrated_gradients"]

#: points on the path from the baseline to the text (Captum's default is 50)
STEPS = 32


def ig_supported(clf: TextClassifier) -> bool:
    from textops.embed import SentenceTransformerEmbedder

    return isinstance(clf.embedder, SentenceTransformerEmbedder) and (
        linear_map(clf.head) is not None
    )


def _decision(clf: TextClassifier, c: int) -> Any:
    """``forward(input_ids, attention_mask)`` -> class ``c``'s decision value, in torch."""
    import torch

    lin = linear_map(clf.head)
    assert lin is not None
    st = clf.embedder._load()
    w = torch.tensor(lin.weights(c), dtype=torch.float32)
    shift = 0.0 if lin.mean is None else float(lin.weights(c) @ lin.mean)
    bias = float(lin.b[c]) - shift
    normalize = bool(getattr(clf.embedder, "normalize", False))

    def forward(input_ids: Any, attention_mask: Any) -> Any:
        out = st({"input_ids": input_ids, "attention_mask": attention_mask})["sentence_embedding"]
        if normalize:
            out = torch.nn.functional.normalize(out, p=2, dim=1)
        return out @ w + bias

    return st, forward


def integrated_gradients(clf: TextClassifier, text: str, label: str | None = None) -> Attribution:
    if not ig_supported(clf):
        from textops.errors import ConfigError

        raise ConfigError(
            "method ig needs a sentence-transformers encoder under a linear head; "
            'choose method "occlusion", which works on every model'
        )
    require("explain", "integrated gradients", "captum")
    import torch
    from captum.attr import LayerIntegratedGradients

    labels = clf.labels
    proba = clf.predict_proba([text])[0]
    c = target_index(labels, proba, label)
    st, forward = _decision(clf, c)
    tok = st.tokenizer(
        [text],
        return_tensors="pt",
        return_offsets_mapping=True,
        truncation=True,
        max_length=st.max_seq_length,
    )
    offsets = tok.pop("offset_mapping")[0].tolist()
    ids, mask = tok["input_ids"].to(st.device), tok["attention_mask"].to(st.device)
    special = torch.tensor(
        st.tokenizer.get_special_tokens_mask(ids[0].tolist(), already_has_special_tokens=True),
        dtype=torch.bool,
        device=ids.device,
    )
    baseline = torch.where(special, ids[0], st.tokenizer.pad_token_id or 0).unsqueeze(0)
    lig = LayerIntegratedGradients(forward, st[0].auto_model.embeddings)
    with torch.enable_grad():
        attr = lig.attribute(
            ids,
            baselines=baseline,
            additional_forward_args=(mask,),
            n_steps=STEPS,
            internal_batch_size=STEPS,
        )
    per_token = attr.sum(dim=-1)[0].detach().cpu().numpy()
    spans = split_words(text)
    scores = np.zeros(len(spans))
    w = 0
    for (start, end), value in zip(offsets, per_token, strict=True):
        if end <= start:
            continue  # a special token
        while w < len(spans) and spans[w][1] <= start:
            w += 1
        if w < len(spans):
            scores[w] += float(value)
    return Attribution.of(text, labels, proba, c, "ig", spans, scores)
