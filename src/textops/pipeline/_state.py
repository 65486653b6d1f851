"""What a pipeline remembers between runs: per stage, the hash of the inputs it last finished
with and what it produced. A stage whose inputs hash the same is skipped and its outputs are
read from here; a stage that failed has no entry, so the next run starts again from it."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from textops._types import JSON
from textops._util import atomic_write_json

__all__ = ["PipelineState", "inputs_key"]


def inputs_key(inputs: object) -> str:
    """A stable hash of a stage's inputs (JSON, keys sorted)."""
    blob = json.dumps(inputs, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass
class PipelineState:
    path: Path
    stages: dict[str, JSON] = field(default_factory=dict)
    #: MLflow parent run per run key (an orchestrator's run id), so that stages run as
    #: separate tasks still nest under one run
    runs: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: Path) -> PipelineState:
        path = folder / "state.json"
        if not path.exists():
            return cls(path)
        data = json.loads(path.read_text("utf-8"))
        return cls(path, dict(data.get("stages", {})), dict(data.get("runs", {})))

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(self.path, {"stages": self.stages, "runs": self.runs})

    def done(self, stage: str, key: str) -> JSON | None:
        """The outputs of ``stage`` when it last finished with inputs ``key``, else None."""
        entry = self.stages.get(stage)
        if entry is None or entry.get("key") != key:
            return None
        return dict(entry["outputs"])

    def outputs(self, stage: str) -> JSON | None:
        entry = self.stages.get(stage)
        return None if entry is None else dict(entry["outputs"])

    def finish(self, stage: str, key: str, outputs: JSON) -> None:
        self.stages[stage] = {"key": key, "outputs": outputs, "finished": time.time()}
        self.save()

    def forget(self, stage: str) -> None:
        if self.stages.pop(stage, None) is not None:
            self.save()
