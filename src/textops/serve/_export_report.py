"""What an ONNX export measured, as values: each variant's parity with torch on the model's
test split, and what was stored. ``as_json`` is ``parity.json`` and ``export onnx --json``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from textops._types import JSON

__all__ = ["ExportReport", "ParityCheck", "StoredExport"]


@dataclass(frozen=True)
class ParityCheck:
    """One exported variant against torch on the same texts."""

    min_cosine: float
    mean_cosine: float
    label_agreement: float  # share of texts whose predicted label is torch's
    macro_f1: float
    macro_f1_torch: float
    texts_per_s: float
    torch_texts_per_s: float
    bytes: int
    recipe: str | None = None  # int8: the quantization recipe
    passes: bool | None = None  # int8: within the agreement and macro-F1 gates

    def as_json(self) -> JSON:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


@dataclass(frozen=True)
class StoredExport:
    variant: str  # "fp32" or "int8"
    artifact: str  # runs:/RUN/onnx/vVERSION/FILE


@dataclass
class ExportReport:
    model: str
    version: str
    test_texts: int
    dataset: str
    fp32: ParityCheck | None = None
    int8_tried: list[ParityCheck] = field(default_factory=list)
    stored: StoredExport | None = None

    def as_json(self) -> JSON:
        out: JSON = {
            "model": self.model,
            "version": self.version,
            "test_texts": self.test_texts,
            "dataset": self.dataset,
        }
        if self.fp32 is not None:
            out["fp32"] = self.fp32.as_json()
        if self.int8_tried:
            out["int8_tried"] = [c.as_json() for c in self.int8_tried]
        if self.stored is not None:
            out["stored"] = dataclasses.asdict(self.stored)
        return out
