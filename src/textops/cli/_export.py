"""``textops export onnx``: a registered model's encoder as ONNX, checked and stored."""

from __future__ import annotations

from typing import Annotated

import typer

from textops.cli._common import EXIT_FAILED_CHECK, JsonOpt, TrackingOpt, emit, handle_errors

app = typer.Typer(
    rich_markup_mode=None,
    help="Export a registered model for a faster runtime.",
    no_args_is_help=True,
)


@app.command("onnx")
@handle_errors
def onnx(
    model_uri: Annotated[str, typer.Argument(help="models:/NAME@ALIAS or models:/NAME/VERSION.")],
    quantize: Annotated[
        str | None,
        typer.Option(
            help="int8: dynamic int8 weights, offered only if, on the model's test split, it "
            "agrees with torch's label on >= 98% of texts and loses <= 0.5 macro-F1 points."
        ),
    ] = None,
    tracking_uri: str | None = TrackingOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Export the sentence-transformers encoder (with pooling) to ONNX, check parity against
    torch on the model's test split, and store it with the model version; `textops serve`
    then encodes with ONNX Runtime."""
    from textops.errors import QualityGateError
    from textops.serve import export_onnx
    from textops.track import default_tracking_uri

    try:
        report = export_onnx(
            model_uri, tracking_uri=tracking_uri or default_tracking_uri(), quantize=quantize
        )
    except QualityGateError as exc:
        if as_json:
            emit({"error": str(exc), "report": exc.report}, True)
        typer.secho(f"refused: {exc}", err=True, fg=typer.colors.YELLOW)
        raise typer.Exit(EXIT_FAILED_CHECK) from None
    if as_json:
        emit(report.as_json(), True)
        return
    fp, stored = report.fp32, report.stored
    assert fp is not None and stored is not None  # a stored export was checked
    typer.echo(
        f"fp32: min cosine {fp.min_cosine}, label agreement {fp.label_agreement:.1%}, "
        f"{fp.texts_per_s} texts/s vs torch {fp.torch_texts_per_s}"
    )
    for r in report.int8_tried:
        typer.echo(
            f"int8 ({r.recipe}): min cosine {r.min_cosine}, agreement "
            f"{r.label_agreement:.1%}, macro-F1 {r.macro_f1} vs {r.macro_f1_torch}, "
            f"{r.texts_per_s} texts/s -> {'ok' if r.passes else 'fails the gate'}"
        )
    typer.echo(f"stored {stored.variant}: {stored.artifact}")
