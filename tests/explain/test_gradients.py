"""Integrated gradients through a fine-tuned encoder (a tiny BERT trained by the finetune
head): word scores that add up to the change of the decision value from the baseline."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import SPAM_LABELS, SPAM_TEXTS
from textops.data import NormalizationOptions
from textops.explain import explain_texts
from textops.model import TextClassifier


@pytest.fixture(scope="module")
def finetuned(trained_encoders: dict[str, dict[str, str]]) -> TextClassifier:
    from textops.embed import make_embedder
    from textops.model import build_head

    params = {k: v for k, v in trained_encoders["finetuned"].items() if k != "_keep"}
    embedder = make_embedder("finetuned", **params).fit([])
    head = build_head("logreg", {"C": 10.0}).fit(embedder.transform(SPAM_TEXTS), SPAM_LABELS)
    return TextClassifier(
        embedder_key="finetuned", embedder=embedder, head_key="logreg", head=head,
        head_params={}, normalization=NormalizationOptions(),
    )  # fmt: skip


def test_ig_scores_add_up_to_the_decision_change(finetuned: TextClassifier) -> None:
    import torch

    from textops.explain._gradients import _decision

    text = "win a free cash prize now"
    (attr,) = explain_texts(finetuned, [text], "ig")
    assert attr.method == "ig" and attr.words == tuple(text.split())
    assert np.all(np.isfinite(attr.scores)) and any(s != 0 for s in attr.scores)
    c = finetuned.labels.index(attr.label)
    st, forward = _decision(finetuned, c)
    tok = st.tokenizer([text], return_tensors="pt")
    ids, mask = tok["input_ids"], tok["attention_mask"]
    special = torch.tensor(
        st.tokenizer.get_special_tokens_mask(ids[0].tolist(), already_has_special_tokens=True),
        dtype=torch.bool,
    )
    baseline = torch.where(special, ids[0], st.tokenizer.pad_token_id).unsqueeze(0)
    with torch.no_grad():
        change = float(forward(ids, mask) - forward(baseline, mask))
    # completeness (Sundararajan et al. 2017), up to the 32-step Riemann sum's error
    assert sum(attr.scores) == pytest.approx(change, rel=0.1, abs=1e-3)


def test_auto_on_a_finetuned_model_is_occlusion_and_ig_is_offered(
    finetuned: TextClassifier,
) -> None:
    from textops.explain import METHODS, resolve_method

    assert resolve_method(finetuned, "auto") == "occlusion"
    assert METHODS["ig"].supports(finetuned)
