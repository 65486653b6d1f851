"""``textops gen ...``: train a generator on a corpus and sample it over settings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from textops.cli._common import JsonOpt, TrackingOpt, emit, handle_errors

app = typer.Typer(
    help="Text generators: train one on a corpus (`data ingest --task generation`), sample it "
    "over temperature x top_p.",
    no_args_is_help=True,
)


def _floats(value: str, what: str) -> list[float]:
    from textops.errors import ConfigError

    try:
        return [float(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise ConfigError(f"--{what}: {value!r} is not a comma-separated list of numbers") from None


@app.command("train")
@handle_errors
def train(
    dataset: Annotated[str, typer.Argument(help="A corpus (data ingest --task generation).")],
    model: Annotated[
        Path | None,
        typer.Option(
            help="A local Hugging Face causal-LM folder to fine-tune (default: a small "
            "GPT-2 trained from scratch with a BPE tokenizer fitted on the corpus)."
        ),
    ] = None,
    epochs: Annotated[int, typer.Option(help="Passes over the corpus.")] = 3,
    timeout: Annotated[
        float | None,
        typer.Option(
            help="Seconds: training stops after the step that reaches 90 % of it, "
            "then evaluates and saves; a from-scratch model is sized to it."
        ),
    ] = None,
    max_length: Annotated[int, typer.Option(help="Tokens per training text.")] = 128,
    batch_size: Annotated[int, typer.Option(help="Texts per step.")] = 16,
    lr: Annotated[float | None, typer.Option(help="Learning rate.")] = None,
    device: Annotated[str, typer.Option(help="auto (CUDA when present), cpu or cuda.")] = "auto",
    model_name: Annotated[
        str | None, typer.Option(help="Registered model name (default: the dataset's).")
    ] = None,
    register: Annotated[bool, typer.Option(help="Register the generator.")] = True,
    tracking_uri: str | None = TrackingOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Train a generator; the run has train/validation loss and perplexity per epoch; the
    version becomes champion when its validation perplexity beats the champion's."""
    from textops.gen import GenTrainConfig, train_generator

    cfg = GenTrainConfig(
        dataset=dataset, model=str(model) if model else None, epochs=epochs, timeout=timeout,
        max_length=max_length, batch_size=batch_size, lr=lr, device=device,
        model_name=model_name, register_model=register, tracking_uri=tracking_uri,
    )  # fmt: skip
    report = train_generator(cfg)
    if as_json:
        emit(report.as_json(), True)
        return
    for e in report.epochs:
        typer.echo(f"epoch {e.epoch}: train loss {e.train_loss:.3f}, validation loss "
                   f"{e.val_loss:.3f}, perplexity {e.val_perplexity:.2f} ({e.seconds:.0f} s)")  # fmt: skip
    if report.stopped_by_budget:
        typer.echo("stopped by --timeout after the step that reached its budget")
    alias = f" as {report.alias}" if report.alias else ""
    reason = report.comparison.get("reason", "")
    typer.echo(f"{report.model_uri}{alias}: validation perplexity {report.val_perplexity:.2f}, "
               f"{report.parameters:,} parameters, {report.seconds:.0f} s. {reason}")  # fmt: skip


@app.command("sample")
@handle_errors
def sample(
    model_uri: Annotated[
        str | None, typer.Argument(help="models:/NAME@champion, ... (or --endpoint).")
    ] = None,
    prompt: Annotated[list[str] | None, typer.Option(help="A prompt (repeatable).")] = None,
    prompts: Annotated[Path | None, typer.Option(help="A file of prompts, one per line.")] = None,
    temperature: Annotated[str, typer.Option(help="Comma-separated temperatures.")] = "0.7,1.0",
    top_p: Annotated[str, typer.Option(help="Comma-separated top_p values.")] = "0.8,0.95",
    n: Annotated[int, typer.Option("-n", help="Texts per prompt and setting.")] = 5,
    max_new_tokens: Annotated[int | None, typer.Option(help="Tokens per text.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the first setting (then +1 each).")] = 0,
    output: Annotated[Path, typer.Option(help="JSON lines written here.")] = Path("gens.jsonl"),
    endpoint: Annotated[
        str | None,
        typer.Option(help="An OpenAI-compatible API base (…/v1) to sample instead of a model."),
    ] = None,
    endpoint_model: Annotated[str | None, typer.Option(help="The endpoint's model.")] = None,
    api_key_env: Annotated[
        str, typer.Option(help="Environment variable holding the endpoint's key.")
    ] = "OPENAI_API_KEY",
    tracking_uri: str | None = TrackingOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Every prompt x temperature x top_p, -n texts each, as JSON lines (model, prompt,
    temperature, top_p, seed, sample, text). The same command writes the same file."""
    from textops.errors import ConfigError
    from textops.gen import EndpointGenerator, load_generator, sweep, write_generations
    from textops.track import default_tracking_uri

    texts = list(prompt or [])
    if prompts is not None:
        texts += [line.strip() for line in prompts.read_text("utf-8").splitlines() if line.strip()]
    if not texts:
        texts = [""]  # unconditional
    if bool(model_uri) == bool(endpoint):
        raise ConfigError("give a MODEL_URI or --endpoint URL (one of them)")
    if endpoint:
        if not endpoint_model:
            raise ConfigError("--endpoint needs --endpoint-model NAME")
        source = EndpointGenerator(endpoint, endpoint_model, api_key_env)
        name = f"{endpoint_model}@{endpoint}"
    else:
        assert model_uri
        source = load_generator(model_uri, tracking_uri or default_tracking_uri())  # type: ignore[assignment]
        name = model_uri
    gens = sweep(source, name, texts, _floats(temperature, "temperature"),
                 _floats(top_p, "top-p"), n=n, seed=seed, max_new_tokens=max_new_tokens)  # fmt: skip
    count = write_generations(gens, output)
    emit({"output": str(output), "generations": count}, as_json)
    if not as_json:
        typer.echo(f"wrote {count:,} generations to {output}")
