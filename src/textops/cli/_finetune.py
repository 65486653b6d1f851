"""``textops finetune``: one trained head with the given settings, as a one-trial search (the
same code path as a search's candidate: budget, tracking, refit, test, registry)."""

from __future__ import annotations

from typing import Annotated

import typer

from textops.cli._common import JsonOpt, emit, handle_errors

KINDS = ("finetune", "setfit", "bilstm")


def _head_defaults(kind: str) -> dict[str, object]:
    """The head's own defaults: a direct fine-tune uses them, not a sampled point."""
    from textops.model import HEADS

    skip = {"model", "device", "threads"}
    return {k: v for k, v in HEADS[kind].defaults().items() if k not in skip}


@handle_errors
def finetune(
    dataset: Annotated[str, typer.Argument(help="Dataset name (see `textops data list`).")],
    model: Annotated[
        str,
        typer.Option(
            help="minilm, mpnet, or the path of a local sentence-transformers or Hugging Face "
            "model folder (e.g. a Danish or multilingual BERT)."
        ),
    ] = "minilm",
    kind: Annotated[
        str,
        typer.Option(
            help="finetune (end to end, linear layer on the mean pool), setfit (contrastive "
            "pairs, then logistic regression: few labels) or bilstm (BiLSTM over the frozen "
            "encoder's token vectors)."
        ),
    ] = "finetune",
    epochs: Annotated[int | None, typer.Option(help="Epochs (the most: early stopping).")] = None,
    lr: Annotated[float | None, typer.Option(help="Learning rate.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Texts per training batch.")] = None,
    max_length: Annotated[int | None, typer.Option(help="Tokens per text (truncated).")] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            help="Seconds for training, refitting and saving: a training that cannot finish "
            "is never started (epochs are capped to what fits)."
        ),
    ] = None,
    device: Annotated[str, typer.Option(help="auto (CUDA when present), cpu or cuda.")] = "auto",
    model_name: Annotated[
        str | None, typer.Option(help="Registered model name (default: the dataset name).")
    ] = None,
    tracking_uri: Annotated[
        str | None, typer.Option(help="MLflow tracking URI (default: sqlite in the home).")
    ] = None,
    register: Annotated[bool, typer.Option(help="Register the model.")] = True,
    as_json: bool = JsonOpt,
) -> None:
    """Fine-tune a transformer on DATASET's train split (validation for early stopping), retrain
    it on train + validation for the best epoch count, score it once on test, register it."""
    from textops.cli._search import print_search
    from textops.errors import ConfigError
    from textops.search import SearchConfig, run_search

    if kind not in KINDS:
        raise ConfigError(f"--kind {kind!r}: choose one of {', '.join(KINDS)}")
    options: dict[str, object] = _head_defaults(kind)
    given = {"epochs": epochs, "lr": lr, "batch_size": batch_size, "max_length": max_length}
    options.update({k: v for k, v in given.items() if v is not None and k in options})
    embedder = model if model in ("minilm", "mpnet") else "minilm"
    if embedder != model:
        options["model"] = model
    cfg = SearchConfig.model_validate(
        {
            "dataset": dataset,
            "embedders": (embedder,),
            "heads": (kind,),
            "trials": 1,
            "timeout": timeout,
            "head_options": options,
            "device": device,
            "model_name": model_name,
            "tracking_uri": tracking_uri,
            "register_model": register,
        }
    )
    report = run_search(cfg, show_progress=None if not as_json else False)
    if as_json:
        from textops._json import to_json

        emit(to_json(report), True)
    else:
        print_search(report)
