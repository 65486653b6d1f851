"""``textops gen ...``: train a generator on a corpus and sample it over settings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from textops.cli._common import JsonOpt, TrackingOpt, emit, handle_errors

app = typer.Typer(
    rich_markup_mode=None,
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
        str,
        typer.Option(
            help="What to start from: auto (minilm for an English corpus, else scratch), "
            "scratch (a small GPT-2 with a BPE tokenizer fitted on the corpus), a packaged "
            "encoder warm-started as a generator (minilm, mpnet; uncased: it writes lower "
            "case) or a local Hugging Face model folder to fine-tune."
        ),
    ] = "auto",
    arch: Annotated[
        str,
        typer.Option(
            help="How an encoder (minilm, mpnet, a BERT folder) generates: decoder (one causal "
            "model reads the prompt, then writes) or encoder-decoder (a copy of the encoder "
            "reads the prompt, another writes; BERT-family encoders)."
        ),
    ] = "decoder",
    epochs: Annotated[int, typer.Option(help="Passes over the corpus.")] = 3,
    timeout: Annotated[
        float | None,
        typer.Option(
            help="Seconds for the whole command: training stops early enough that its last "
            "evaluation, the save and the registration end within it; a from-scratch model "
            "is sized to it."
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
    resume: Annotated[
        bool,
        typer.Option(
            help="Continue an interrupted run of the same command (same corpus version and "
            "settings) after its last finished epoch; --no-resume starts again."
        ),
    ] = True,
    lora_rank: Annotated[
        int,
        typer.Option(
            min=0,
            max=256,
            help="Train LoRA adapters of this rank (8 or 16 are common) instead of every "
            "weight, for a model too large to fine-tune whole here (peft; 0: off).",
        ),
    ] = 0,
    lora_save: Annotated[
        str,
        typer.Option(
            help="With --lora-rank: merged (the adapters folded into a plain model folder) or "
            "adapter (the adapter alone, megabytes, loaded onto its base folder)."
        ),
    ] = "merged",
    tracking_uri: str | None = TrackingOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Train a generator; the run has train/validation loss and perplexity per epoch; the
    version becomes champion when its validation perplexity beats the champion's."""
    import time

    started = time.monotonic()  # --timeout counts from here: the imports below are in it
    from textops.gen import GenTrainConfig, train_generator

    cfg = GenTrainConfig(
        dataset=dataset, model=model, arch=arch, epochs=epochs, timeout=timeout,
        max_length=max_length, batch_size=batch_size, lr=lr, device=device,
        model_name=model_name, register_model=register, tracking_uri=tracking_uri,
        resume=resume, lora_rank=lora_rank, lora_save=lora_save,
    )  # fmt: skip
    report = train_generator(cfg, started=started)
    if as_json:
        emit(report.as_json(), True)
        return
    if report.resumed_after:
        typer.echo(f"continued an interrupted run after its epoch {report.resumed_after}")
    for e in report.epochs:
        typer.echo(f"epoch {e.epoch}: train loss {e.train_loss:.3f}, validation loss "
                   f"{e.val_loss:.3f}, perplexity {e.val_perplexity:.2f}, "
                   f"{e.val_bits_per_char:.3f} bits/char ({e.seconds:.0f} s)")  # fmt: skip
    if report.epochs and report.best_epoch != report.epochs[-1].epoch:
        typer.echo(f"kept epoch {report.best_epoch}'s weights: its validation loss was the lowest")
    if report.stopped_by_budget:
        typer.echo("stopped by --timeout, leaving time to evaluate, save and register")
    alias = f" as {report.alias}" if report.alias else ""
    reason = report.comparison.reason if report.comparison else ""
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
    num_beams: Annotated[
        int,
        typer.Option(
            min=1,
            max=16,
            help="Beam search: keep this many candidate texts each step and write the most "
            "likely (with temperature 0, deterministic; above 0, sampled within the beams).",
        ),
    ] = 1,
    top_k: Annotated[
        int, typer.Option(min=0, help="Sample from the k most likely tokens (0: no limit).")
    ] = 0,
    repetition_penalty: Annotated[
        float,
        typer.Option(
            min=1.0,
            max=10.0,
            help="Above 1, tokens already written are made less likely (1.2 is common).",
        ),
    ] = 1.0,
    no_repeat_ngram_size: Annotated[
        int, typer.Option(min=0, help="No n-gram of this size twice in a text (0: off).")
    ] = 0,
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
    decoding settings, seed, sample, text). Temperature 0 decodes greedily; the other
    choices (beams, top-k, penalties) hold for every setting. The same command writes the
    same file."""
    from textops.errors import ConfigError
    from textops.gen import Decoding, EndpointGenerator, load_generator, sweep, write_generations
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
    how = Decoding(top_k=top_k, num_beams=num_beams, repetition_penalty=repetition_penalty,
                   no_repeat_ngram_size=no_repeat_ngram_size, max_new_tokens=max_new_tokens)  # fmt: skip
    gens = sweep(source, name, texts, _floats(temperature, "temperature"),
                 _floats(top_p, "top-p"), n=n, seed=seed, decoding=how)  # fmt: skip
    count = write_generations(gens, output)
    emit({"output": str(output), "generations": count}, as_json)
    if not as_json:
        typer.echo(f"wrote {count:,} generations to {output}")


@app.command("eval")
@handle_errors
def eval_(
    generations: Annotated[Path, typer.Argument(help="JSON lines from `textops gen sample`.")],
    acceptability: Annotated[
        str | None, typer.Option(help="A textops classifier URI judging acceptability.")
    ] = None,
    acceptable_label: Annotated[
        str, typer.Option(help="Its label that counts as acceptable.")
    ] = "acceptable",
    sentiment: Annotated[
        str | None, typer.Option(help="A textops sentiment classifier URI.")
    ] = None,
    negative_label: Annotated[str, typer.Option(help="Its label that counts as negative.")] = (
        "negative"
    ),
    embedder: Annotated[
        str, typer.Option(help="Embedder for diversity (multilingual e5 by default).")
    ] = "e5",
    generator: Annotated[
        str | None,
        typer.Option(
            help="Generator URI for perplexity and training-text copies (default: the "
            "generations' model when it is a textops generator)."
        ),
    ] = None,
    html: Annotated[Path | None, typer.Option(help="Write the report as one HTML page.")] = None,
    log: Annotated[bool, typer.Option(help="Log to MLflow (one run per setting).")] = True,
    tracking_uri: str | None = TrackingOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Per setting: diversity (1 - mean pairwise cosine of the embeddings), distinct-1/2,
    self-BLEU, acceptability and non-negative shares from textops classifiers, perplexity
    under the generator, mean length, share of exact copies of training texts; the best
    setting (highest quality + diversity) and a plot of quality against diversity."""
    from textops.data import DatasetStore
    from textops.embed import EmbeddingCache
    from textops.gen import (
        LabelScorer,
        eval_html,
        evaluate_generations,
        load_generator,
        log_eval,
        read_generations,
    )
    from textops.track import MlflowTracker, default_tracking_uri

    uri = tracking_uri or default_tracking_uri()
    gens = read_generations(generations)
    sampled = gens[0].model if gens else ""
    gen_uri = generator or (sampled if sampled.startswith(("models:/", "runs:/")) else None)
    gen = load_generator(gen_uri, uri) if gen_uri else None
    train_texts = None
    corpus = gen.trained_on if gen is not None else None
    if corpus is not None:
        try:
            ds = DatasetStore().get(corpus.dataset, corpus.version)
            train_texts = ds.texts("train")
        except Exception:  # the corpus lives elsewhere: no copy rate, the rest stands
            train_texts = None
    report = evaluate_generations(
        gens, tracking_uri=uri, embedder_key=embedder,
        acceptability=LabelScorer(acceptability, acceptable_label) if acceptability else None,
        sentiment=LabelScorer(sentiment, negative_label, negate=True) if sentiment else None,
        generator=gen, training_texts=train_texts, cache=EmbeddingCache(),
    )  # fmt: skip
    if html is not None:
        html.write_text(eval_html(report), "utf-8")
    if log:
        report.run_id = log_eval(report, MlflowTracker(uri), f"gen-eval {generations.name}")
    if as_json:
        emit(report.as_json(), True)
        return
    typer.echo(f"{'setting':<16} {'n':>4} {'divers.':>8} {'dist-2':>7} {'selfBLEU':>8} "
               f"{'accept.':>8} {'non-neg':>8} {'ppl':>8}")  # fmt: skip

    def f(v: float | None) -> str:
        return "-" if v is None else f"{v:.3f}"

    for s in report.settings:
        typer.echo(f"{s.setting:<16} {s.n:>4} {f(s.diversity):>8} {f(s.distinct_2):>7} "
                   f"{f(s.self_bleu):>8} {f(s.acceptability):>8} {f(s.non_negative):>8} "
                   f"{f(s.perplexity):>8}")  # fmt: skip
    typer.echo(f"best: {report.best} ({report.best_reason})")
