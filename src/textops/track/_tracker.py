"""Experiment tracking through a small, explicit object (no module-global run state).

:class:`Tracker` is the protocol the search uses. :class:`MlflowTracker` writes to any MLflow
tracking URI through ``MlflowClient`` (default: ``sqlite:///<home>/mlflow.db`` with artifacts in
``<home>/mlartifacts``); :class:`MemoryTracker` keeps everything in dictionaries for fast tests.
"""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from textops._home import home_dir
from textops._redact import redact
from textops._types import JSON
from textops.track._mlflow import default_tracking_uri, quiet_mlflow
from textops.track._registry import ModelRegistry
from textops.track._store import checked_store

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from mlflow import MlflowClient

__all__ = ["FinishedRun", "MemoryTracker", "MlflowTracker", "Tracker"]

EXPERIMENT = "textops"


class Tracker(Protocol):
    uri: str
    #: whether other processes can log into the same runs (search workers): a store, not memory
    shared: bool

    def start_run(
        self, name: str, *, parent_id: str | None = None, tags: Mapping[str, str] | None = None
    ) -> str: ...

    def log_params(self, run_id: str, params: Mapping[str, object]) -> None: ...

    def log_metrics(
        self, run_id: str, metrics: Mapping[str, float], step: int | None = None
    ) -> None: ...

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None: ...

    def log_dict(self, run_id: str, obj: JSON | list[JSON], artifact_file: str) -> None: ...

    def log_figure(self, run_id: str, figure: Figure, artifact_file: str) -> None: ...

    def log_artifacts(self, run_id: str, local_dir: Path, artifact_path: str) -> str: ...

    def log_dataset(
        self,
        run_id: str,
        *,
        name: str,
        digest: str,
        source: str,
        context: str,
        profile: Mapping[str, object],
    ) -> None: ...

    def end_run(self, run_id: str, status: str = "FINISHED") -> None: ...

    def log_run(self, run: FinishedRun) -> str:
        """Write a run that has already ended (params, metrics, times) in one go."""
        ...

    def registry(self) -> ModelRegistry | None:
        """The model registry next to these runs (None: this tracker has none)."""
        ...


@dataclass(frozen=True)
class FinishedRun:
    """A run recorded after the fact: a search trial, written when it ends (``log_run``)."""

    name: str
    parent_id: str | None
    tags: Mapping[str, str]
    params: Mapping[str, Any]
    metrics: Mapping[str, float]
    status: str
    start_ms: int
    end_ms: int
    #: metrics by step (a trained head's per-epoch loss and validation score; step 1 first)
    history: Mapping[str, Sequence[float]] = field(default_factory=dict)


def _flat(params: Mapping[str, Any]) -> dict[str, str]:
    """Params as MLflow stores them (strings), credentials masked (a config's URLs)."""
    safe = redact(dict(params))
    return {
        k: (json.dumps(v) if isinstance(v, dict | list | tuple) else str(v))[:6000]
        for k, v in safe.items()
    }


@dataclass
class MemoryTracker:
    """Everything in memory; artifacts in a temporary folder. For tests and dry runs."""

    uri: str = "memory://"
    shared: bool = False
    runs: dict[str, JSON] = field(default_factory=dict)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="textops-track-")))

    def start_run(
        self, name: str, *, parent_id: str | None = None, tags: Mapping[str, str] | None = None
    ) -> str:
        run_id = uuid.uuid4().hex
        self.runs[run_id] = {
            "name": name,
            "parent": parent_id,
            "tags": dict(tags or {}),
            "params": {},
            "metrics": {},
            "artifacts": {},
            "datasets": [],
            "status": "RUNNING",
        }
        return run_id

    def log_params(self, run_id: str, params: Mapping[str, object]) -> None:
        self.runs[run_id]["params"].update(_flat(params))

    def log_metrics(
        self, run_id: str, metrics: Mapping[str, float], step: int | None = None
    ) -> None:
        self.runs[run_id]["metrics"].update({k: float(v) for k, v in metrics.items()})

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        self.runs[run_id]["tags"].update(tags)

    def log_dict(self, run_id: str, obj: JSON | list[JSON], artifact_file: str) -> None:
        self.runs[run_id]["artifacts"][artifact_file] = redact(obj)

    def log_figure(self, run_id: str, figure: Figure, artifact_file: str) -> None:
        path = self.root / run_id / artifact_file
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path)
        self.runs[run_id]["artifacts"][artifact_file] = path

    def log_artifacts(self, run_id: str, local_dir: Path, artifact_path: str) -> str:
        import shutil

        dest = self.root / run_id / artifact_path
        shutil.copytree(local_dir, dest, dirs_exist_ok=True)
        self.runs[run_id]["artifacts"][artifact_path] = dest
        return str(dest)

    def log_dataset(
        self,
        run_id: str,
        *,
        name: str,
        digest: str,
        source: str,
        context: str,
        profile: Mapping[str, object],
    ) -> None:
        self.runs[run_id]["datasets"].append(
            {"name": name, "digest": digest, "source": source, "context": context}
        )

    def end_run(self, run_id: str, status: str = "FINISHED") -> None:
        self.runs[run_id]["status"] = status

    def log_run(self, run: FinishedRun) -> str:
        run_id = self.start_run(run.name, parent_id=run.parent_id, tags=run.tags)
        self.log_params(run_id, run.params)
        self.log_metrics(run_id, run.metrics)
        self.runs[run_id].update(
            start_ms=run.start_ms,
            end_ms=run.end_ms,
            history={k: list(v) for k, v in run.history.items()},
        )
        self.end_run(run_id, run.status)
        return run_id

    def registry(self) -> ModelRegistry | None:
        return None  # runs in memory have no registry: a search with it registers nothing

    def children(self, run_id: str) -> list[str]:
        return [r for r, v in self.runs.items() if v["parent"] == run_id]


class MlflowTracker:
    """MLflow through ``MlflowClient``: a parent run per search, nested runs per trial."""

    shared = True

    def __init__(
        self,
        uri: str | None = None,
        *,
        home: str | Path | None = None,
        experiment: str = EXPERIMENT,
    ) -> None:
        self.uri = uri or default_tracking_uri(home)
        self._home = home_dir(home)
        self.experiment = experiment
        self._client: MlflowClient | None = None
        self._experiment_id: str | None = None

    @property
    def client(self) -> MlflowClient:
        if self._client is None:
            quiet_mlflow()
            from mlflow import MlflowClient

            checked_store(self.uri)
            self._client = MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)
        return self._client

    def experiment_id(self) -> str:
        if self._experiment_id is None:
            exp = self.client.get_experiment_by_name(self.experiment)
            if exp is not None:
                self._experiment_id = str(exp.experiment_id)
            else:
                artifacts = None
                if self.uri.startswith("sqlite:"):
                    artifacts = (self._home / "mlartifacts").as_uri()
                try:
                    self._experiment_id = str(
                        self.client.create_experiment(self.experiment, artifact_location=artifacts)
                    )
                except Exception:  # created by a concurrent worker
                    raced = self.client.get_experiment_by_name(self.experiment)
                    if raced is None:
                        raise
                    self._experiment_id = str(raced.experiment_id)
        return self._experiment_id

    def start_run(
        self, name: str, *, parent_id: str | None = None, tags: Mapping[str, str] | None = None
    ) -> str:
        all_tags = dict(tags or {})
        if parent_id:
            all_tags["mlflow.parentRunId"] = parent_id
        run = self.client.create_run(self.experiment_id(), run_name=name, tags=all_tags)
        return str(run.info.run_id)

    def log_params(self, run_id: str, params: Mapping[str, object]) -> None:
        from mlflow.entities import Param

        self.client.log_batch(run_id, params=[Param(k, v) for k, v in _flat(params).items()])

    def log_metrics(
        self, run_id: str, metrics: Mapping[str, float], step: int | None = None
    ) -> None:
        import time

        from mlflow.entities import Metric

        ts = int(time.time() * 1000)
        self.client.log_batch(
            run_id, metrics=[Metric(k, float(v), ts, step or 0) for k, v in metrics.items()]
        )

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        from mlflow.entities import RunTag

        self.client.log_batch(run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()])

    def log_dict(self, run_id: str, obj: JSON | list[JSON], artifact_file: str) -> None:
        # MLflow's annotation says dict; it writes any JSON value (a leaderboard is a list)
        self.client.log_dict(run_id, cast(JSON, redact(obj)), artifact_file)

    def log_figure(self, run_id: str, figure: Figure, artifact_file: str) -> None:
        self.client.log_figure(run_id, figure, artifact_file)

    def log_artifacts(self, run_id: str, local_dir: Path, artifact_path: str) -> str:
        self.client.log_artifacts(run_id, str(local_dir), artifact_path)
        return self.artifact_uri(run_id, artifact_path)

    def artifact_uri(self, run_id: str, artifact_path: str) -> str:
        """Where ``artifact_path`` of ``run_id`` is stored (what a model version's source is)."""
        return f"{self.client.get_run(run_id).info.artifact_uri}/{artifact_path}"

    def log_dataset(
        self,
        run_id: str,
        *,
        name: str,
        digest: str,
        source: str,
        context: str,
        profile: Mapping[str, object],
    ) -> None:
        from mlflow.entities import Dataset, DatasetInput, InputTag

        ds = Dataset(
            name=name,
            digest=digest[:36],
            source_type="local",
            source=json.dumps({"uri": source}),
            profile=json.dumps(dict(profile)),
        )
        inputs = [DatasetInput(ds, tags=[InputTag("mlflow.data.context", context)])]
        try:
            self.client.log_inputs(run_id, datasets=inputs)
        except Exception as exc:
            # two searches logging the same dataset at once on one server: MLflow's store
            # creates it in one and refuses the other's insert; the retry links the existing one
            if "unique" not in str(exc).lower() and "already exists" not in str(exc).lower():
                raise
            time.sleep(0.2)
            self.client.log_inputs(run_id, datasets=inputs)

    def end_run(self, run_id: str, status: str = "FINISHED") -> None:
        self.client.set_terminated(run_id, status=status)

    def log_run(self, run: FinishedRun) -> str:
        """Three store calls (the run with its tags, one batch of params and metrics, its end)
        instead of four."""
        from mlflow.entities import Metric, Param

        tags = dict(run.tags)
        if run.parent_id:
            tags["mlflow.parentRunId"] = run.parent_id
        created = self.client.create_run(
            self.experiment_id(), start_time=run.start_ms, tags=tags, run_name=run.name
        )
        run_id = str(created.info.run_id)
        self.client.log_batch(
            run_id,
            params=[Param(k, v) for k, v in _flat(run.params).items()],
            metrics=[Metric(k, float(v), run.end_ms, 0) for k, v in run.metrics.items()]
            + [
                Metric(k, float(v), run.end_ms, step)
                for k, values in run.history.items()
                for step, v in enumerate(values, start=1)
            ],
        )
        self.client.set_terminated(run_id, status=run.status, end_time=run.end_ms)
        return run_id

    def registry(self) -> ModelRegistry:
        return ModelRegistry(self.uri)
