"""The model a generator starts from: a small GPT-2 trained from scratch, a packaged sentence
encoder warm-started as a generator (Rothe, Narayan and Severyn, 2020: BERT checkpoints as a
causal decoder, or as both halves of an encoder-decoder), or a user's own folder.

A BERT-style encoder becomes a decoder by loading its weights into ``BertLMHeadModel`` with
``is_decoder=True`` (causal self-attention); the output layer is tied to the pretrained word
embeddings and only the head's small transform starts untrained. MPNet has no causal class in
transformers, so its weights are renamed into the same BERT layout (the layers match one to one;
its relative-position bias is dropped and relearnt through the absolute positions it also has).
The saved folder is a plain ``BertLMHeadModel`` (or ``EncoderDecoderModel``) that the
transformers Auto classes load."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

__all__ = [
    "AUTO", "BASE_MODELS", "SCRATCH", "WarmStart", "load_base", "resolve_start", "trim_vocabulary",
]  # fmt: skip

SCRATCH = "scratch"
#: the default: a packaged encoder for an English corpus, from scratch for another language
AUTO = "auto"
#: packaged encoders a generator can start from (textops.embed's packaged models)
BASE_MODELS = ("minilm", "mpnet")
#: encoder families whose ``*LMHeadModel``/``*ForCausalLM`` needs ``is_decoder=True``
_ENCODER_TYPES = frozenset({"bert", "roberta", "xlm-roberta", "camembert", "electra", "ernie"})
#: an encoder warm-started as a generator trains without dropout: within a budget it sees its
#: corpus once or twice, where dropout slows learning (and costs CPU time: at 120 s on 2 cores
#: MiniLM made 45% more steps and reached a lower held-out bits/char without it)
NO_DROPOUT: dict[str, Any] = {"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}
#: WordPiece vocabularies list pieces by frequency after the specials and single characters:
#: a trimmed vocabulary keeps the first this many too, so common words a new text may use
#: that the corpus did not stay whole tokens
COMMON_PIECES = 10_000
#: the prompt format's markers (see textops.gen._tokenizer); a causal model reads them inline
_CAUSAL_SPECIAL = {"bos_token": "<|bos|>", "sep_token": "<|sep|>"}

Architecture = Literal["decoder", "encoder-decoder"]


@dataclass(frozen=True)
class WarmStart:
    """Where a warm-started generator's weights come from: ``base`` is a packaged encoder's
    name or a local folder; ``architecture`` says how an encoder is used."""

    base: str
    architecture: Architecture = "decoder"


def resolve_start(model: str, language: str | None) -> str:
    """``auto``: MiniLM for a corpus in English (or of unknown language), where its uncased
    English vocabulary fits (bench/generate.py: lower held-out bits per character than a
    model trained from scratch in the same time); from scratch otherwise, where a BPE
    tokenizer fitted on the corpus spells the language in whole pieces."""
    if model != AUTO:
        return model
    return "minilm" if language in (None, "en") else SCRATCH


def native_generator(start: str) -> bool:
    """Whether the folder ``start`` names is a generator as saved (a causal LM or an
    encoder-decoder), not an encoder textops turns into one."""
    from transformers import AutoConfig

    if start in (SCRATCH, *BASE_MODELS):
        return start == SCRATCH
    cfg = AutoConfig.from_pretrained(base_folder(start), local_files_only=True)
    encoder = cfg.model_type in _ENCODER_TYPES | {"mpnet"} and not getattr(cfg, "is_decoder", False)
    return not encoder


def base_folder(base: str) -> Path:
    """The folder of a packaged encoder (by name) or of a local model."""
    from textops.embed import resolve_model
    from textops.errors import ModelNotFoundError

    if base in BASE_MODELS:
        return resolve_model(base)
    path = Path(base).expanduser()
    if not (path / "config.json").is_file():
        raise ModelNotFoundError(
            f"--model {base!r} is neither {SCRATCH}, a packaged encoder "
            f"({', '.join(BASE_MODELS)}) nor a local Hugging Face model folder (no config.json)"
        )
    return path.resolve()


def load_base(
    start: WarmStart, corpus: Sequence[str] = ()
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """The model and tokenizer ``start`` names (not scratch), with the prompt format's special
    tokens added and the embeddings resized to them; a WordPiece vocabulary is trimmed to what
    ``corpus`` uses (see :func:`trim_vocabulary`)."""
    from transformers import AutoConfig, AutoTokenizer

    folder = base_folder(start.base)
    tok: PreTrainedTokenizerBase = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    if _wordpiece(tok):
        # WordPiece spells "it's" as three tokens; decoding joins them back ("it ' s" else),
        # and the setting is saved with the tokenizer for whoever loads the folder
        tok.clean_up_tokenization_spaces = True
        tok.init_kwargs["clean_up_tokenization_spaces"] = True  # what save_pretrained writes
    keep = None
    if corpus and _wordpiece(tok):  # before the special tokens: they are added after it
        tok, keep = trim_vocabulary(tok, corpus)
    cfg = AutoConfig.from_pretrained(folder, local_files_only=True)
    seq2seq = start.architecture == "encoder-decoder" or getattr(cfg, "is_encoder_decoder", False)
    if seq2seq and tok.eos_token is None and tok.sep_token is not None:
        tok.eos_token = tok.sep_token  # BERT2BERT writes [CLS] text [SEP]: [SEP] ends a text
    special = {"eos_token": "<|endoftext|>", "pad_token": "<|pad|>"}
    special = {k: v for k, v in special.items() if getattr(tok, k) is None}
    if not seq2seq:  # the prompt and its text share one sequence: mark where each starts
        special |= _CAUSAL_SPECIAL
    tok.add_special_tokens(special)  # type: ignore[arg-type]
    if getattr(cfg, "is_encoder_decoder", False):
        model = _auto_seq2seq(folder)
    elif seq2seq:
        model = _encoder_decoder(folder, cfg.model_type, tok)
    else:
        model = _decoder(folder, cfg.model_type)
    if keep is not None:
        _keep_rows(model, keep)
    _resize(model, len(tok))
    return model, tok


def _wordpiece(tok: PreTrainedTokenizerBase) -> bool:
    backend = getattr(tok, "backend_tokenizer", None)
    return backend is not None and type(backend.model).__name__ == "WordPiece"


def _resize(model: PreTrainedModel, n: int) -> None:
    """Embeddings (and the tied output layer) sized to ``n`` tokens; an encoder-decoder's two
    halves each (transformers resizes them only one at a time)."""
    halves = _halves(model)
    for half in halves:
        half.resize_token_embeddings(n, mean_resizing=True)
        half.config.vocab_size = n
    if len(halves) > 1:
        model.config.decoder.vocab_size = model.config.encoder.vocab_size = n


def _is_encoder_decoder_pair(model: PreTrainedModel) -> bool:
    return type(model).__name__ == "EncoderDecoderModel"


def _halves(model: PreTrainedModel) -> list[Any]:
    """The models whose embeddings a vocabulary change touches."""
    return [model.encoder, model.decoder] if _is_encoder_decoder_pair(model) else [model]


def trim_vocabulary(
    tok: PreTrainedTokenizerBase, corpus: Sequence[str]
) -> tuple[PreTrainedTokenizerBase, list[int]]:
    """A WordPiece tokenizer keeping only the tokens ``corpus`` uses, every single character
    (so any word still splits into pieces it knows) and the special tokens; and the kept ids,
    in the new order. A generator never writes the rest, and each training step pays for its
    output layer over the whole vocabulary: 30k tokens where a corpus of a few thousand short
    texts uses a fraction, and the output layer is a large share of a small model's step."""
    import json

    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    spec = json.loads(tok.backend_tokenizer.to_str())
    vocab: dict[str, int] = spec["model"]["vocab"]
    used = {i for ids in tok(list(corpus), add_special_tokens=False)["input_ids"] for i in ids}
    single = {i for t, i in vocab.items() if len(t) == 1 or (t.startswith("##") and len(t) == 3)}
    special = {a["id"] for a in spec["added_tokens"]}
    common = {i for i in vocab.values() if i < COMMON_PIECES}
    keep = sorted(used | single | special | common)
    new_id = {old: new for new, old in enumerate(keep)}
    spec["model"]["vocab"] = {t: new_id[i] for t, i in vocab.items() if i in new_id}
    for added in spec["added_tokens"]:
        added["id"] = new_id[added["id"]]
    _remap_post_processor(spec.get("post_processor"), new_id)
    backend = Tokenizer.from_str(json.dumps(spec))
    names = {k: v for k, v in tok.special_tokens_map.items() if isinstance(v, str)}
    trimmed = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=backend,
        clean_up_tokenization_spaces=tok.clean_up_tokenization_spaces,
        **names,
    )
    trimmed.model_max_length = tok.model_max_length
    return trimmed, keep


def _remap_post_processor(post: dict[str, Any] | None, new_id: dict[int, int]) -> None:
    """The special tokens' ids a post-processor adds ([CLS] ... [SEP], <s> ... </s>)."""
    if not post:
        return
    for key in ("sep", "cls"):  # RobertaProcessing, BertProcessing: [token, id]
        if key in post:
            post[key][1] = new_id[post[key][1]]
    for token in post.get("special_tokens", {}).values():  # TemplateProcessing
        token["ids"] = [new_id[i] for i in token["ids"]]
    for sub in post.get("processors", []):  # Sequence
        _remap_post_processor(sub, new_id)


def _keep_rows(model: PreTrainedModel, keep: list[int]) -> None:
    """Move the kept tokens' embedding rows (and output biases) to the front, in order, so
    that resizing to the trimmed vocabulary keeps exactly them."""
    import torch

    index = torch.tensor(keep)
    moved: set[int] = set()  # a tied output layer shares the embeddings: move them once
    with torch.no_grad():
        for half in _halves(model):
            for layer in (half.get_input_embeddings(), half.get_output_embeddings()):
                for rows in (getattr(layer, "weight", None), getattr(layer, "bias", None)):
                    if rows is not None and id(rows) not in moved:
                        rows[: len(keep)] = rows[index].clone()
                        moved.add(id(rows))


def _auto_seq2seq(folder: Path) -> PreTrainedModel:
    from transformers import AutoModelForSeq2SeqLM

    model: PreTrainedModel = AutoModelForSeq2SeqLM.from_pretrained(folder, local_files_only=True)
    return model


def _decoder(folder: Path, model_type: str) -> PreTrainedModel:
    """A causal LM from ``folder``: a decoder as it is, an encoder with causal attention."""
    from transformers import AutoModelForCausalLM

    if model_type == "mpnet":
        return _mpnet_as_bert(folder)
    extra: dict[str, Any] = {}
    if model_type in _ENCODER_TYPES:
        extra = {"is_decoder": True, **NO_DROPOUT}
    model: PreTrainedModel = AutoModelForCausalLM.from_pretrained(
        folder, local_files_only=True, **extra
    )
    return model


def _encoder_decoder(
    folder: Path, model_type: str, tok: PreTrainedTokenizerBase
) -> PreTrainedModel:
    """Both halves from the same encoder checkpoint (BERT2BERT): the decoder gets causal
    self-attention and new cross-attention layers."""
    from transformers import EncoderDecoderModel

    from textops.errors import ConfigError

    if model_type not in _ENCODER_TYPES:
        raise ConfigError(
            f"--arch encoder-decoder needs a BERT-family encoder ({', '.join(sorted(_ENCODER_TYPES))});"
            f" {folder} is {model_type!r}: use --arch decoder"
        )
    model = EncoderDecoderModel.from_encoder_decoder_pretrained(
        str(folder), str(folder),
        **{f"{half}_{k}": v for half in ("encoder", "decoder") for k, v in NO_DROPOUT.items()},
    )  # fmt: skip
    start = tok.cls_token_id if tok.cls_token_id is not None else tok.bos_token_id
    model.config.decoder_start_token_id = start
    model.config.eos_token_id = tok.eos_token_id
    model.config.pad_token_id = tok.pad_token_id
    model.generation_config.decoder_start_token_id = start
    return model


# MPNet parameter names -> BERT's (same shapes, one layer to one layer)
_MPNET_RENAMES = (
    (".attention.attn.q.", ".attention.self.query."),
    (".attention.attn.k.", ".attention.self.key."),
    (".attention.attn.v.", ".attention.self.value."),
    (".attention.attn.o.", ".attention.output.dense."),
    (".attention.LayerNorm.", ".attention.output.LayerNorm."),
)


def _mpnet_as_bert(folder: Path) -> PreTrainedModel:
    """MPNet's weights in a ``BertLMHeadModel`` with causal attention."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoConfig, BertConfig, BertLMHeadModel

    src = AutoConfig.from_pretrained(folder, local_files_only=True)
    offset = src.pad_token_id + 1  # MPNet numbers positions after its padding id, as RoBERTa
    cfg = BertConfig(
        vocab_size=src.vocab_size, hidden_size=src.hidden_size,
        num_hidden_layers=src.num_hidden_layers, num_attention_heads=src.num_attention_heads,
        intermediate_size=src.intermediate_size, hidden_act=src.hidden_act,
        max_position_embeddings=src.max_position_embeddings - offset, type_vocab_size=1,
        layer_norm_eps=src.layer_norm_eps, pad_token_id=src.pad_token_id, is_decoder=True,
        **NO_DROPOUT,
    )  # fmt: skip
    model = BertLMHeadModel(cfg)
    state = _renamed(load_file(str(folder / "model.safetensors")), offset)
    state["bert.embeddings.token_type_embeddings.weight"] = torch.zeros(1, src.hidden_size)
    missing, _ = model.load_state_dict(state, strict=False)
    if any(not k.startswith("cls.") for k in missing):  # only the head's transform is new
        raise RuntimeError(f"{folder}: MPNet weights left BERT layers unset: {missing[:5]}")
    model.tie_weights()
    return model


def _renamed(weights: dict[str, torch.Tensor], offset: int) -> dict[str, torch.Tensor]:
    out = {}
    for key, value in weights.items():
        if "relative_attention_bias" in key or key.startswith("pooler."):
            continue
        name = key.removeprefix("mpnet.")
        for old, new in _MPNET_RENAMES:
            name = name.replace(old, new)
        if name == "embeddings.position_embeddings.weight":
            value = value[offset:]
        out[f"bert.{name}"] = value
    return out
