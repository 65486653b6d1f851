"""``textops export onnx``: the encoder of a registered model as ONNX (optionally int8), checked
against torch on the model's own test split and stored with the model version.

The export is logged as artifacts of the version's run (``onnx/v<version>/``) and announced in
version tags, which ``textops serve`` reads to pick ONNX Runtime over torch.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from textops._packages import require
from textops._types import JSON
from textops._util import quiet_logger
from textops.errors import ConfigError, QualityGateError, TextopsError
from textops.serve._export_report import ExportReport, ParityCheck, StoredExport

__all__ = ["FP32_MIN_COSINE", "INT8_MAX_F1_LOSS", "INT8_MIN_AGREEMENT", "export_onnx"]

log = logging.getLogger("textops.export")

FP32_MIN_COSINE = 0.999
INT8_MIN_AGREEMENT = 0.98
INT8_MAX_F1_LOSS = 0.005
TAG_ONNX = "textops.onnx"  # "fp32" or "int8": the variant serve uses
TAG_ONNX_PATH = "textops.onnx_artifact"


def _export_graph(st: Any, normalize: bool, path: Path) -> None:
    import warnings

    import torch

    warnings.filterwarnings("ignore", message=".*advanced indexing.*")
    hf = st[0].auto_model.eval()

    class Encoder(torch.nn.Module):  # keyword call: positional inputs break transformers 5
        def __init__(self) -> None:
            super().__init__()
            self.m = hf

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.m(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(out.dtype)
            pooled = (out * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1) if normalize else pooled

    tok = st.tokenizer(
        ["an example", "a somewhat longer example text"], padding=True, return_tensors="pt"
    )
    dyn = {"0": "batch", "1": "tokens"}
    with torch.no_grad():
        torch.onnx.export(
            Encoder().eval(),
            (tok["input_ids"], tok["attention_mask"], tok["token_type_ids"]),
            str(path),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": {0: dyn["0"], 1: dyn["1"]},
                "attention_mask": {0: dyn["0"], 1: dyn["1"]},
                "token_type_ids": {0: dyn["0"], 1: dyn["1"]},
                "embedding": {0: dyn["0"]},
            },
            opset_version=17,
            dynamo=False,
        )


def _int8_candidates(fp32: Path) -> list[tuple[str, JSON]]:
    """Dynamic int8 recipes, fastest first. Per-tensor scales lose parity on MiniLM; per-channel
    scales keep most of it; weights on a 7-bit range (ONNX Runtime's ``reduce_range``, which
    avoids the saturation of its u8 x s8 kernels) keep more, at a little speed (bench/
    finetune.py's serving part prints the recipe chosen for a fine-tuned MiniLM and what each
    tried lost); the feed-forward output projections are the most sensitive, kept fp32 last."""
    import onnx

    names = [n.name for n in onnx.load(str(fp32)).graph.node if n.op_type == "MatMul"]
    ffn_out = [n for n in names if "/output/dense/" in n and "attention" not in n]
    return [
        ("per-channel weights", {"per_channel": True}),
        ("per-channel weights, 7-bit range", {"per_channel": True, "reduce_range": True}),
        (
            "per-channel, feed-forward outputs kept fp32",
            {"per_channel": True, "nodes_to_exclude": ffn_out},
        ),
    ]


def _speed(enc: Any, texts: list[str]) -> float:
    enc.transform(texts[:64])
    t = time.perf_counter()
    enc.transform(texts)
    return len(texts) / (time.perf_counter() - t)


def export_onnx(
    model_uri: str,
    *,
    tracking_uri: str,
    home: str | Path | None = None,
    quantize: str | None = None,
    speed_sample: int = 256,
) -> ExportReport:
    """Export, check, store. Raises :class:`QualityGateError` (its ``report``: this report's
    JSON) when a variant fails its gate."""
    require("onnx", "textops export onnx", "onnx", "onnxruntime")
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from textops.data import DatasetStore
    from textops.embed import OnnxSentenceEncoder, SentenceTransformerEmbedder, resolve_model
    from textops.track import ModelURI, client_for, evaluate, load_classifier, resolve_version

    if quantize not in (None, "int8"):
        raise ConfigError(f"--quantize {quantize!r}: only int8 is offered")
    parts = ModelURI.parse(model_uri)
    if parts.name is None:
        raise ConfigError("export a registered model: models:/NAME@ALIAS or models:/NAME/VERSION")
    version = str(resolve_version(model_uri, tracking_uri))
    client = client_for(tracking_uri)
    mv = client.get_model_version(parts.name, version)
    clf, _ = load_classifier(f"models:/{parts.name}/{version}", tracking_uri)
    emb = clf.embedder
    if not isinstance(emb, SentenceTransformerEmbedder):
        raise ConfigError(
            f"this model's encoder is {clf.embedder_key!r}; only sentence-transformers encoders "
            "export to ONNX (the others run without torch, except hybrids such as tfidf_minilm, "
            "whose export is not built yet)"
        )
    ds_ref = mv.tags.get("textops.dataset", "")
    name, _, ds_version = ds_ref.partition("@")
    ds = DatasetStore(home).get(name, ds_version or None)
    texts, labels = ds.texts("test"), ds.labels("test")
    if not texts:
        raise TextopsError(f"dataset {ds_ref} has an empty test split; cannot check parity")

    st = emb._load()
    model_dir = str(resolve_model(emb.model))
    max_len = int(st.max_seq_length)
    ref = emb.transform(texts)
    ref_pred = clf.head.predict_proba(ref).argmax(1)
    ref_f1 = evaluate(labels, clf.head.predict_proba(ref), clf.labels).macro_f1
    torch_speed = _speed(emb, texts[:speed_sample])

    def check(path: Path, recipe: str | None = None) -> ParityCheck:
        enc = OnnxSentenceEncoder(onnx_path=str(path), model_dir=model_dir, max_seq_length=max_len)
        got = enc.transform(texts)
        cos = (ref * got).sum(1) / (np.linalg.norm(ref, axis=1) * np.linalg.norm(got, axis=1))
        proba = clf.head.predict_proba(got)
        f1 = evaluate(labels, proba, clf.labels).macro_f1
        agreement = round(float((proba.argmax(1) == ref_pred).mean()), 4)
        passes = None
        if recipe is not None:
            passes = agreement >= INT8_MIN_AGREEMENT and ref_f1 - f1 <= INT8_MAX_F1_LOSS
        return ParityCheck(
            min_cosine=round(float(cos.min()), 6),
            mean_cosine=round(float(cos.mean()), 6),
            label_agreement=agreement,
            macro_f1=round(f1, 4),
            macro_f1_torch=round(ref_f1, 4),
            texts_per_s=round(_speed(enc, texts[:speed_sample]), 1),
            torch_texts_per_s=round(torch_speed, 1),
            bytes=path.stat().st_size,
            recipe=recipe,
            passes=passes,
        )

    report = ExportReport(model=parts.name, version=version, test_texts=len(texts), dataset=ds_ref)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model.onnx"
        _export_graph(st, emb.normalize, fp32)
        report.fp32 = check(fp32)
        if report.fp32.min_cosine < FP32_MIN_COSINE:
            raise QualityGateError(
                f"the fp32 export differs from torch (min cosine {report.fp32.min_cosine} < "
                f"{FP32_MIN_COSINE}); not stored. Check the torch/onnx versions",
                report.as_json(),
            )
        chosen, chosen_path = "fp32", fp32
        if quantize == "int8":
            for label, kw in _int8_candidates(fp32):
                out = Path(tmp) / f"model-int8-{len(report.int8_tried)}.onnx"
                with quiet_logger(""):  # the quantizer logs a pre-processing hint at WARNING
                    quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, **kw)
                res = check(out, recipe=label)
                report.int8_tried.append(res)
                log.info("int8 %s: %s", label, res)
                if res.passes:
                    chosen, chosen_path = "int8", out
                    break
        dest = f"onnx/v{version}"
        client.log_artifact(mv.run_id, str(chosen_path), artifact_path=dest)
        (Path(tmp) / "parity.json").write_text(json.dumps(report.as_json(), indent=1))
        client.log_artifact(mv.run_id, str(Path(tmp) / "parity.json"), artifact_path=dest)
    client.set_model_version_tag(parts.name, version, TAG_ONNX, chosen)
    client.set_model_version_tag(parts.name, version, TAG_ONNX_PATH, f"{dest}/{chosen_path.name}")
    report.stored = StoredExport(chosen, f"runs:/{mv.run_id}/{dest}/{chosen_path.name}")
    if quantize == "int8" and chosen != "int8":
        best = max(report.int8_tried, key=lambda r: r.label_agreement)
        raise QualityGateError(
            f"int8 refused: best recipe ({best.recipe}) agrees with torch on "
            f"{best.label_agreement:.1%} of test texts (needs {INT8_MIN_AGREEMENT:.0%}) and "
            f"loses {100 * (ref_f1 - best.macro_f1):.2f} macro-F1 points (max "
            f"{100 * INT8_MAX_F1_LOSS:.1f}); the fp32 export was stored and will be served",
            report.as_json(),
        )
    return report
