"""What a stage sees while it runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from textops._types import JSON
from textops.errors import ConfigError
from textops.pipeline._config import PipelineConfig
from textops.pipeline._outputs import IngestOutput, RegisterOutput, SearchOutput
from textops.pipeline._sources import Fetched

if TYPE_CHECKING:
    from textops.track import MlflowTracker

__all__ = ["StageContext"]


@dataclass
class StageContext:
    """What a stage sees: the config, where things live, and the outputs of earlier stages."""

    config: PipelineConfig
    folder: Path
    home: Path | None
    tracking_uri: str
    tracker: MlflowTracker
    upstream: dict[str, JSON] = field(default_factory=dict)
    parent_run: str | None = None  # the pipeline's MLflow run
    run_id: str | None = None  # this stage's MLflow run
    fetched: list[Fetched] = field(default_factory=list)
    show_progress: bool | None = None

    def need(self, stage: str) -> JSON:
        if stage not in self.upstream:
            raise ConfigError(f"stage {stage!r} has not finished yet: run the pipeline from it")
        return self.upstream[stage]

    @property
    def run(self) -> str:
        """This stage's MLflow run (started before the stage's work runs)."""
        if self.run_id is None:
            raise RuntimeError("the stage's MLflow run has not been started")
        return self.run_id

    def ingested(self) -> IngestOutput:
        return IngestOutput.model_validate(self.need("ingest"))

    def searched(self) -> SearchOutput:
        return SearchOutput.model_validate(self.need("search"))

    def registered(self) -> RegisterOutput:
        return RegisterOutput.model_validate(self.need("register"))
