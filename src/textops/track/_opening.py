"""A run opened with what it is about, in one call: its name, parent and tags, its params, the
datasets it reads (one MLflow input each) and the JSON files it starts with. A stage that
opens a run (a search, a pipeline stage) hands the tracker one typed value instead of a
sequence of calls, and gets back the run: its id, the writer its child runs go to, and how it
ends (children written first)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from textops._types import JSON
from textops.track._background import BackgroundRuns
from textops.track._tracker import Tracker

__all__ = ["DatasetInput", "OpenRun", "RunOpening", "open_run"]


@dataclass(frozen=True)
class DatasetInput:
    """One dataset a run reads (MLflow merges inputs that share name and digest)."""

    name: str
    digest: str
    source: str
    context: str
    profile: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class RunOpening:
    name: str
    parent_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, object] = field(default_factory=dict)
    datasets: Sequence[DatasetInput] = ()
    #: JSON artifacts logged at once, by file name
    files: Mapping[str, JSON | list[JSON]] = field(default_factory=dict)


@dataclass(frozen=True)
class OpenRun:
    """A run started by :func:`open_run`. Its child runs (a search's trials) go to
    ``children``, written by a background thread; :meth:`end` writes every child still queued
    before it ends the run, so a finished run never misses a child."""

    id: str
    tracker: Tracker
    children: BackgroundRuns

    def end(self, status: str = "FINISHED") -> None:
        try:
            self.children.close()
        finally:
            self.tracker.end_run(self.id, status)


def open_run(tracker: Tracker, opening: RunOpening) -> OpenRun:
    """Start the run ``opening`` describes and log what it starts with."""
    run = tracker.start_run(opening.name, parent_id=opening.parent_id, tags=dict(opening.tags))
    if opening.params:
        tracker.log_params(run, opening.params)
    for ds in opening.datasets:
        tracker.log_dataset(run, name=ds.name, digest=ds.digest, source=ds.source,
                            context=ds.context, profile=ds.profile)  # fmt: skip
    for name, payload in opening.files.items():
        tracker.log_dict(run, payload, name)
    return OpenRun(run, tracker, BackgroundRuns(tracker))
