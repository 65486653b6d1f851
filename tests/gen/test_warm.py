"""Generators warm-started from the packaged encoders: MiniLM as a causal decoder and as both
halves of an encoder-decoder, MPNet renamed into BERT's layout; a vocabulary trimmed to the
corpus; the saved folders load with the transformers Auto classes, outside textops."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from textops.data import Dataset
from textops.gen import Decoding, load_generator, train_generator
from textops.track import default_tracking_uri, download_model

from .test_gen import _cfg

pytestmark = pytest.mark.integration


def test_minilm_becomes_a_causal_generator_that_transformers_loads(
    horo: Dataset, home: Path
) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer, BertLMHeadModel

    report = train_generator(_cfg(model="minilm", epochs=1, lr=5e-4), home=home)
    e = report.epochs[0]
    assert e.steps > 0 and 0 < e.val_bits_per_char < 20
    folder = download_model(report.model_uri or "", default_tracking_uri(home))
    model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True)
    tok = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    assert isinstance(model, BertLMHeadModel) and model.config.is_decoder
    # the output layer is the (trimmed) word embeddings: one matrix, the corpus's tokens
    assert model.get_output_embeddings().weight is model.get_input_embeddings().weight
    assert model.config.vocab_size == len(tok) < 15_000  # of 30,522
    assert tok.decode(tok("it's", add_special_tokens=False)["input_ids"]) == "it's"
    gen = load_generator(report.model_uri or "", default_tracking_uri(home))
    texts = gen.generate(["Овен", "Cancer"], Decoding(max_new_tokens=8), seed=1)
    assert len(texts) == 2 and all(isinstance(t, str) for t in texts)
    assert gen.bits_per_char(["today stars luck"], ["Cancer"]) > 0


def test_a_trimmed_vocabulary_tokenizes_as_the_full_one_and_keeps_its_embeddings() -> None:
    from transformers import AutoTokenizer

    from textops.embed import resolve_model
    from textops.gen._warm import WarmStart, _decoder, load_base

    corpus = ["It's a fine film, isn't it?", "The plot is thin but the actors shine."]
    model, tok = load_base(WarmStart("minilm"), corpus)
    full_tok = AutoTokenizer.from_pretrained(resolve_model("minilm"))
    full = _decoder(resolve_model("minilm"), "bert")
    for text in corpus:
        mine = tok(text, add_special_tokens=False)["input_ids"]
        theirs = full_tok(text, add_special_tokens=False)["input_ids"]
        assert tok.convert_ids_to_tokens(mine) == full_tok.convert_ids_to_tokens(theirs)
        rows = model.get_input_embeddings().weight[mine]
        assert torch.equal(rows, full.get_input_embeddings().weight[theirs])
    # a word the corpus never used still splits into known pieces, never [UNK]
    pieces = tok.convert_ids_to_tokens(tok("zebra", add_special_tokens=False)["input_ids"])
    assert "[UNK]" not in pieces and "".join(p.removeprefix("##") for p in pieces) == "zebra"
    assert {"<|bos|>", "<|sep|>", "<|endoftext|>"} <= set(tok.get_vocab())


def test_minilm_as_an_encoder_decoder_writes_from_a_prompt(horo: Dataset, home: Path) -> None:
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, EncoderDecoderModel

    report = train_generator(
        _cfg(model="minilm", arch="encoder-decoder", epochs=1, lr=5e-4), home=home
    )
    folder = download_model(report.model_uri or "", default_tracking_uri(home))
    model = AutoModelForSeq2SeqLM.from_pretrained(folder, local_files_only=True)
    assert isinstance(model, EncoderDecoderModel)
    assert model.config.decoder.add_cross_attention and model.config.decoder.is_decoder
    tok = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    # its labels are [CLS] text [SEP]: generation must stop at [SEP]
    assert model.config.eos_token_id == tok.eos_token_id == tok.sep_token_id
    gen = load_generator(report.model_uri or "", default_tracking_uri(home))
    assert gen.seq2seq
    texts = gen.generate(["Овен", "Cancer"], Decoding(temperature=0, max_new_tokens=6))
    assert len(texts) == 2
    assert report.epochs[0].val_bits_per_char > 0


def test_mpnet_weights_land_in_a_bert_decoder_one_to_one() -> None:
    from safetensors.torch import load_file

    from textops.embed import resolve_model
    from textops.gen._warm import _mpnet_as_bert

    folder = resolve_model("mpnet")
    model = _mpnet_as_bert(folder)
    src = load_file(str(folder / "model.safetensors"))
    mine = model.state_dict()
    layer = "encoder.layer.11"
    assert torch.equal(mine[f"bert.{layer}.attention.self.query.weight"],
                       src[f"{layer}.attention.attn.q.weight"])  # fmt: skip
    assert torch.equal(mine[f"bert.{layer}.attention.output.LayerNorm.bias"],
                       src[f"{layer}.attention.LayerNorm.bias"])  # fmt: skip
    assert torch.equal(
        mine["bert.embeddings.position_embeddings.weight"][0],
        src["embeddings.position_embeddings.weight"][2],
    )  # after padding id 1
    assert model.config.is_decoder and model.get_output_embeddings().weight is (
        model.get_input_embeddings().weight
    )
    ids = torch.tensor([[0, 100, 200, 2]])
    logits = model(input_ids=ids).logits
    assert logits.shape == (1, 4, model.config.vocab_size) and torch.isfinite(logits).all()


def test_an_unknown_start_is_refused_with_the_choices(home: Path, horo: Dataset) -> None:
    from textops.errors import ModelNotFoundError

    with pytest.raises(ModelNotFoundError, match="scratch, a packaged encoder"):
        train_generator(_cfg(model="gpt5"), home=home)


def test_auto_starts_an_english_corpus_from_minilm_and_another_from_scratch(home: Path) -> None:
    import itertools
    import json

    from textops.data import IngestConfig, MemorySource, ingest
    from textops.gen import GenTrainConfig
    from textops.gen._warm import resolve_start

    adjectives = ["slow", "funny", "warm", "dull", "clever", "sad", "bright", "long"]
    rows = [(f"The film was {a} and the actors were {b}, so we stayed until the end.", None)
            for a, b in itertools.permutations(adjectives, 2)]  # fmt: skip
    ingest([MemorySource("reviews", rows)], "reviews", IngestConfig(task="generation"),
           home=home)  # fmt: skip
    report = train_generator(GenTrainConfig(dataset="reviews", epochs=1, max_length=32),
                             home=home)  # fmt: skip
    folder = download_model(report.model_uri or "", default_tracking_uri(home))
    assert json.loads((folder / "generator.json").read_text())["base_model"] == "minilm"
    assert resolve_start("auto", "ru") == "scratch" and resolve_start("mpnet", "ru") == "mpnet"
