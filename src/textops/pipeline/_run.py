"""``run_pipeline``: the stages in order, each skipped when its inputs hash as they did when it
last finished, each one nested MLflow run under the pipeline's run. A failure stops the run
with the stages before it kept, so the next run starts again from the one that failed."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from textops._home import home_dir
from textops._types import JSON
from textops.errors import ConfigError, TextopsError
from textops.pipeline._config import PipelineConfig
from textops.pipeline._context import StageContext
from textops.pipeline._stages import STAGES, Stage
from textops.pipeline._state import PipelineState, inputs_key

__all__ = [
    "PipelineError",
    "PipelineResult",
    "StageResult",
    "pipeline_folder",
    "pipeline_lock",
    "run_pipeline",
]

log = logging.getLogger("textops.pipeline")

STAGE_NAMES = tuple(s.name for s in STAGES)


@dataclass(frozen=True)
class StageResult:
    """One stage of one run: ``ran``, ``skipped`` (inputs unchanged), ``off`` (not configured),
    ``failed``, or ``not_reached`` (after a failure)."""

    stage: str
    status: str
    seconds: float = 0.0
    outputs: JSON = field(default_factory=dict)
    message: str = ""
    run_id: str | None = None


@dataclass(frozen=True)
class PipelineResult:
    name: str
    run_id: str
    tracking_uri: str
    stages: list[StageResult]
    seconds: float

    @property
    def ok(self) -> bool:
        return not any(s.status == "failed" for s in self.stages)

    def stage(self, name: str) -> StageResult:
        return next(s for s in self.stages if s.stage == name)

    def as_json(self) -> JSON:
        return {**asdict(self), "ok": self.ok}


class PipelineError(TextopsError):
    """A stage failed; ``result`` holds what every stage did. Exits with the cause's code."""

    def __init__(self, message: str, result: PipelineResult, cause: BaseException) -> None:
        super().__init__(message)
        self.result = result
        self.exit_code = getattr(cause, "exit_code", 2)


def pipeline_folder(name: str, home: str | Path | None = None) -> Path:
    return home_dir(home) / "pipelines" / name


@contextlib.contextmanager
def pipeline_lock(name: str, home: str | Path | None = None) -> Iterator[Path]:
    """Hold pipeline ``name``'s run lock (its folder is yielded); a ConfigError at once when
    another run holds it: two runs of one pipeline never overlap, and nothing a run reads is
    written before the lock is held."""
    from filelock import FileLock, Timeout

    folder = pipeline_folder(name, home)
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(folder / "run.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise ConfigError(
            f"pipeline {name!r} is running already ({folder / 'run.lock'} is held); "
            "two runs of one pipeline never overlap"
        ) from None
    try:
        yield folder
    finally:
        lock.release()


def _parent_run(
    tracker: object, state: PipelineState, config: PipelineConfig, run_key: str | None
) -> str:
    if run_key is not None and run_key in state.runs:
        return state.runs[run_key]
    run = tracker.start_run(  # type: ignore[attr-defined]
        f"pipeline {config.name}",
        tags={"textops.pipeline": config.name, "textops.kind": "pipeline"},
    )
    tracker.log_dict(run, config.model_dump(mode="json", by_alias=True), "pipeline.json")  # type: ignore[attr-defined]
    if run_key is not None:
        state.runs[run_key] = run
        state.save()
    return str(run)


def _one(stage: Stage, ctx: StageContext, state: PipelineState, force: bool) -> StageResult:
    began = time.perf_counter()
    key = inputs_key(stage.inputs(ctx))
    done = None if force else state.done(stage.name, key)
    status = "skipped" if done is not None else "ran"
    ctx.run_id = ctx.tracker.start_run(
        f"{ctx.config.name}: {stage.name}",
        parent_id=ctx.parent_run,
        tags={
            "textops.pipeline": ctx.config.name,
            "textops.stage": stage.name,
            "textops.stage_status": status,
            "textops.inputs": key[:16],
        },
    )
    try:
        if done is not None:
            outputs, message = done, "inputs unchanged: skipped"
        else:
            outputs = stage.run(ctx)
            state.finish(stage.name, key, outputs)
            message = "ran"
    except BaseException:
        ctx.tracker.end_run(ctx.run_id, "FAILED")
        raise
    ctx.tracker.end_run(ctx.run_id)
    ctx.upstream[stage.name] = outputs
    return StageResult(
        stage.name, status, round(time.perf_counter() - began, 3), outputs, message, ctx.run_id
    )


def run_pipeline(
    config: PipelineConfig,
    *,
    home: str | Path | None = None,
    only: Sequence[str] | None = None,
    force: Sequence[str] = (),
    run_key: str | None = None,
    show_progress: bool | None = None,
    on_stage: Callable[[StageResult], None] | None = None,
    locked: bool = False,
) -> PipelineResult:
    """Run ``config``'s stages (``only``: just these, their upstream read from the state, as
    an orchestrator's task runs one); ``force``: run these even with unchanged inputs.
    ``run_key`` (an orchestrator's run id) makes separate calls share one MLflow parent run;
    ``locked``: the caller holds :func:`pipeline_lock` already.
    Raises :class:`PipelineError` when a stage fails."""
    for name in [*(only or []), *force]:
        if name not in STAGE_NAMES:
            raise ConfigError(f"no stage {name!r}; stages: {', '.join(STAGE_NAMES)}")
    if locked:
        return _run_locked(config, home, only, force, run_key, show_progress, on_stage)
    with pipeline_lock(config.name, home):
        return _run_locked(config, home, only, force, run_key, show_progress, on_stage)


def _run_stages(
    ctx: StageContext,
    state: PipelineState,
    only: Sequence[str] | None,
    force: Sequence[str],
    on_stage: Callable[[StageResult], None] | None,
) -> tuple[list[StageResult], tuple[str, BaseException] | None]:
    """Every stage in order until one fails; (results, the failed stage and its error)."""
    config = ctx.config
    results: list[StageResult] = []
    failure: tuple[str, BaseException] | None = None
    for stage in STAGES:
        if failure is not None:
            results.append(StageResult(stage.name, "not_reached"))
            continue
        if not stage.enabled(config):
            results.append(StageResult(stage.name, "off", message="not configured"))
            continue
        if only and stage.name not in only:
            kept = state.outputs(stage.name)
            if kept is not None:
                ctx.upstream[stage.name] = kept
            continue
        try:
            result = _one(stage, ctx, state, stage.name in force)
        except Exception as exc:
            # the error itself is raised (PipelineError) and printed once by whoever ran us;
            # the traceback is for --verbose
            log.debug("pipeline %s: stage %s failed", config.name, stage.name, exc_info=True)
            failure = (stage.name, exc)
            result = StageResult(stage.name, "failed", message=str(exc))
        results.append(result)
        if on_stage is not None:
            on_stage(result)
    return results, failure


def _run_locked(
    config: PipelineConfig,
    home: str | Path | None,
    only: Sequence[str] | None,
    force: Sequence[str],
    run_key: str | None,
    show_progress: bool | None,
    on_stage: Callable[[StageResult], None] | None,
) -> PipelineResult:
    from textops.track import MlflowTracker, default_tracking_uri

    began = time.perf_counter()
    folder = pipeline_folder(config.name, home)
    state = PipelineState.load(folder)
    uri = config.tracking_uri or default_tracking_uri(home)
    tracker = MlflowTracker(uri, home=home)
    parent = _parent_run(tracker, state, config, run_key)
    ctx = StageContext(
        config,
        folder,
        Path(home) if home else None,
        uri,
        tracker,
        parent_run=parent,
        show_progress=show_progress,
    )
    results, failure = _run_stages(ctx, state, only, force, on_stage)
    last = [s.name for s in STAGES if s.enabled(config)][-1]
    last_run = run_key is None or only is None or last in only
    if failure is not None or last_run:
        tracker.end_run(parent, "FAILED" if failure else "FINISHED")
    out = PipelineResult(config.name, parent, uri, results, round(time.perf_counter() - began, 3))
    (folder / "last_run.json").write_text(json.dumps(out.as_json(), default=str), "utf-8")
    if failure is not None:
        stage_name, cause = failure
        raise PipelineError(
            f"stage {stage_name} failed: {cause}. Fix it and run again: the stages before "
            "it are skipped, the run resumes from this one",
            out,
            cause,
        ) from cause
    return out
