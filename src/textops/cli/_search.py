"""``textops search``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from textops.cli._common import JsonOpt, emit, field_option, handle_errors

if TYPE_CHECKING:
    from textops.search import SearchReport


def _csv(value: str | None) -> tuple[str, ...] | None:
    return tuple(v.strip() for v in value.split(",") if v.strip()) if value else None


def _params(params: dict[str, object]) -> str:
    """A trial's parameters, short: floats to 3 significant digits."""
    shown = [f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()]
    text = " ".join(shown)
    return text if len(text) <= 60 else text[:57] + "..."


def print_search(report: SearchReport) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(
        "trial", "embedder", "head", "cv macro-F1", "latency ms", "parameters",
        title="leaderboard: the best of each embedder x head, then the next best",
    )  # fmt: skip
    kinds = {(r.embedder, r.head) for r in report.leaderboard}
    for n, row in enumerate(report.leaderboard):
        if n == len(kinds) and n < len(report.leaderboard):
            table.add_section()
        table.add_row(
            str(row.trial),
            str(row.embedder),
            str(row.head),
            f"{row.cv_macro_f1 or 0:.4f}",
            "-" if row.latency_ms is None else f"{row.latency_ms:.2f}",
            _params(row.params),
        )
    console.print(table)
    for plan in report.embedders:
        if not plan.included:
            console.print(f"[yellow]skipped {plan.key}[/yellow]: {plan.reason}")
        elif plan.sample is not None:
            console.print(f"[cyan]{plan.key} on {plan.rows:,} rows[/cyan]: {plan.reason}")
    for tp in report.trained_plan:
        if tp.planned:
            console.print(f"[cyan]{tp.embedder} + {tp.head}[/cyan] {tp.reason}")
    stopped = report.stopped_by_budget
    for line in stopped[:3]:
        console.print(f"[yellow]stopped by the budget[/yellow] {line}")
    if len(stopped) > 3:
        console.print(
            f"[yellow]... and {len(stopped) - 3} more (--json: stopped_by_budget)[/yellow]"
        )
    from textops.search import CVEstimate

    best, test = report.best, report.test
    console.print(
        f"best: {best.embedder} + {best.head} {best.params} (cv macro-F1 {best.cv_macro_f1:.4f})"
    )
    if isinstance(test, CVEstimate):
        lo, hi = test.macro_f1_ci95 or (float("nan"), float("nan"))
        console.print(
            f"few labels: every one of the {test.n} rows pooled; repeated-CV estimate "
            f"macro-F1 {test.macro_f1:.4f} (95% CI {lo:.4f}-{hi:.4f}, "
            f"{test.fold_scores} folds); the model is refitted on all rows"
        )
    else:
        console.print(
            f"test (touched once): macro-F1 {test.macro_f1:.4f}, accuracy "
            f"{test.accuracy:.4f}, ECE {test.ece:.3f}, "
            f"{test.latency_ms_per_text or 0.0:.1f} ms/text"
        )
    if report.refit_skipped:
        console.print(f"[cyan]deployed[/cyan] {report.refit_skipped}")
    floor = report.floor
    if floor is not None and floor.chosen:
        console.print(
            f"[yellow]floor[/yellow]: the CV winner scored {floor.winner_macro_f1:.4f} on test, "
            f"below TF-IDF + logistic regression (trial {floor.trial}) at "
            f"{floor.floor_macro_f1:.4f}: that is the model kept (its test score is the larger "
            "of two)"
        )
    ens = report.ensemble
    if ens is not None:
        kept = "kept: it is the model registered" if ens.chosen else "not kept (adds too little)"
        console.print(
            f"ensemble ({ens.method.replace('_', ' ')} of trials "
            f"{', '.join(map(str, ens.trials))}): cv macro-F1 {ens.cv_macro_f1:.4f} against its "
            f"best member's {max(ens.members_cv):.4f} on the same folds; {kept}"
        )
    for r in report.recipes or []:
        if r.best_cv_macro_f1 is None:
            console.print(f"recipe {r.recipe}: no complete trial")
            continue
        gain = "" if r.gain_over_none is None else f", {r.gain_over_none:+.4f} vs none"
        verdict = (
            ""
            if r.gain_over_none is None
            else (" (helped)" if r.gain_over_none > 0 else " (did not help)")
        )
        console.print(
            f"recipe {r.recipe}: best cv macro-F1 {r.best_cv_macro_f1:.4f} over "
            f"{r.trials} trials{gain}{verdict}"
        )
    if best.recipe:
        console.print(f"winner's recipe: {best.recipe}")
    if report.pareto_front:
        console.print(f"Pareto front: {len(report.pareto_front)} trials (F1 vs latency)")
    cmp = report.comparison
    if cmp is not None and cmp.unchanged:
        console.print(f"{report.model_uri} ({report.alias or 'no alias'}): {cmp.reason}")
    elif report.model_version is not None:
        reason = cmp.reason if cmp is not None else ""
        console.print(f"registered {report.model_uri} as [bold]{report.alias}[/bold] ({reason})")
    trials = f"{report.trials} trial{'' if report.trials == 1 else 's'}"
    console.print(f"{trials} in study {report.study!r}, {report.seconds:.1f}s")
    from textops.track import ui_hint

    console.print(f"\nlook next: {ui_hint(report.tracking_uri)}", soft_wrap=True)


def _synthesize(dataset: str, url: str, model: str | None, per_class: int) -> None:
    """The llm recipe's rows, when the dataset version has none yet."""
    from textops.data import DatasetStore
    from textops.errors import ConfigError
    from textops.gen import EndpointGenerator, synthesize_missing

    if not model:
        raise ConfigError("--llm-endpoint needs --llm-model")
    ds = DatasetStore().get(dataset)
    made = synthesize_missing(ds, EndpointGenerator(url, model), per_class)
    if made is not None:
        typer.echo(
            f"{len(made)} LLM-written rows from {model} stored with {ds.name}@{ds.version}",
            err=True,
        )


def _opt(field: str, *names: str) -> Any:
    from textops.search import SearchConfig

    return field_option(SearchConfig, field, *names)


@handle_errors
def search(
    dataset: Annotated[str, typer.Argument(help="Dataset name (see `textops data list`).")],
    embedders: Annotated[str | None, _opt("embedders")] = None,
    heads: Annotated[str | None, _opt("heads")] = None,
    trials: Annotated[int | None, _opt("trials")] = None,
    timeout: Annotated[float | None, _opt("timeout")] = None,
    workers: Annotated[int | None, _opt("workers")] = None,
    storage: Annotated[str | None, _opt("storage")] = None,
    study: Annotated[str | None, _opt("study")] = None,
    objective: Annotated[str | None, _opt("objective")] = None,
    max_latency_ms: Annotated[float | None, _opt("max_latency_ms")] = None,
    cv_folds: Annotated[int | None, _opt("cv_folds")] = None,
    model_name: Annotated[str | None, _opt("model_name")] = None,
    tracking_uri: Annotated[str | None, _opt("tracking_uri")] = None,
    register: Annotated[bool, _opt("register_model", "--register/--no-register")] = True,
    ensemble: Annotated[bool, _opt("ensemble", "--ensemble/--no-ensemble")] = True,
    gate: Annotated[str | None, _opt("gate")] = None,
    gate_test: Annotated[str | None, _opt("gate_test")] = None,
    alpha: Annotated[float | None, _opt("gate_alpha", "--alpha")] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help="key=value fixed for every head that takes it, e.g. -p model=PATH: the local "
            "sentence-transformers or Hugging Face folder the trained heads (finetune, setfit, "
            "bilstm) start from; -p epochs=2.",
        ),
    ] = None,
    device: Annotated[str | None, _opt("device")] = None,
    recipes: Annotated[str | None, _opt("recipes")] = None,
    llm_endpoint: Annotated[
        str | None,
        typer.Option(
            help="OpenAI-compatible API base that writes the llm recipe's rows when "
            "the dataset has none yet (`textops data synth` makes them beforehand)."
        ),
    ] = None,
    llm_model: Annotated[str | None, typer.Option(help="Model of --llm-endpoint.")] = None,
    llm_per_class: Annotated[int, typer.Option(help="LLM-written rows per label.")] = 20,
    config: Annotated[Path | None, typer.Option(help="YAML file with SearchConfig values.")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override: key=value.")] = None,
    as_json: bool = JsonOpt,
) -> None:
    """Search embedder x head x hyperparameters by CV on the train split, track every trial in
    MLflow, refit the winner on train + validation, score it once on test and register it.

    Trained heads (--heads finetune,setfit,bilstm) train the minilm or mpnet encoder on the
    train split and are scored on validation after each epoch; they start only when training
    and refitting fit the --timeout.

    With few labels (a median under 100 per label) every labelled row is pooled, models are
    judged by repeated CV, and each head runs once per embedder with fixed few-labels
    parameters (no tuning on noise); the report gives the CV estimate with its interval."""
    from textops._config import load_config, parse_overrides
    from textops.search import SearchConfig, run_search

    cfg = load_config(
        SearchConfig,
        config,
        set_ or [],
        dataset=dataset,
        embedders=_csv(embedders),
        heads=_csv(heads),
        trials=trials,
        timeout=timeout,
        workers=workers,
        storage=storage,
        study=study,
        objective=objective,
        max_latency_ms=max_latency_ms,
        cv_folds=cv_folds,
        model_name=model_name,
        tracking_uri=tracking_uri,
        register_model=None if register else False,
        ensemble=None if ensemble else False,
        gate=gate,
        gate_test=gate_test,
        gate_alpha=alpha,
        head_options=parse_overrides(param) if param else None,
        device=device,
        recipes=_csv(recipes),
    )
    if "llm" in cfg.recipes and llm_endpoint:
        _synthesize(cfg.dataset, llm_endpoint, llm_model, llm_per_class)
    report = run_search(cfg, show_progress=None if not as_json else False)
    if as_json:
        from textops._json import to_json

        emit(to_json(report), True)
    else:
        print_search(report)
