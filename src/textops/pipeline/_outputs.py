"""What the stages other stages read leave behind, as typed values: the ingest's dataset
version, the search's winner, the registration. A stage's outputs are kept as JSON in the
pipeline's state (so a later run can skip it); these models read them back, so no stage reads
another's outputs by string key."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from textops._types import JSON

__all__ = ["IngestOutput", "RegisterOutput", "SearchOutput"]


class _Output(BaseModel):
    # extra keys are kept: a state written by another version of textops still reads
    model_config = ConfigDict(frozen=True, extra="allow")


class IngestOutput(_Output):
    dataset: str
    version: str
    fingerprint: str
    rows: int = 0
    rejected: int = 0
    rejected_by_reason: dict[str, int] = {}
    sources: list[str] = []


class SearchOutput(_Output):
    study: str
    trial: int
    embedder: str
    head: str
    cv_macro_f1: float
    test_macro_f1: float | None
    #: "test" (scored on held-out rows) or "cv" (few labels: the repeated-CV estimate)
    estimate: str = "test"
    run_id: str
    model_uri: str
    trials: int = 0
    recipe: JSON | None = None
    recipes: list[JSON] | None = None

    @property
    def score_name(self) -> str:
        return "CV-estimated macro-F1" if self.estimate == "cv" else "test macro-F1"


class RegisterOutput(_Output):
    version: int
    alias: str | None = None
    uri: str
    promoted: bool
    unchanged: bool = False
    why: str = ""
    gate: JSON | None = None
    scored_rows: int = 0
