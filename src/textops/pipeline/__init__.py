"""Pipelines: one YAML file from sources to a promoted model (ingest -> validate -> embed ->
search -> assess -> register -> export -> notify), each stage skipped when its inputs did not
change, scheduled on Airflow or cron; retraining from the service's feedback.

Names load on first use, so ``textops pipeline --help`` does not import the model stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textops._lazy import lazy_names as _lazy_names

if TYPE_CHECKING:
    from textops.pipeline._config import PipelineConfig, SourceSpec, load_pipeline
    from textops.pipeline._retrain import RetrainResult, feedback_rows, retrain
    from textops.pipeline._run import PipelineError, PipelineResult, StageResult, run_pipeline
    from textops.pipeline._schedule import airflow_dag, cron_line
    from textops.pipeline._stages import STAGES

__all__ = [
    "STAGES",
    "PipelineConfig",
    "PipelineError",
    "PipelineResult",
    "RetrainResult",
    "SourceSpec",
    "StageResult",
    "airflow_dag",
    "cron_line",
    "feedback_rows",
    "load_pipeline",
    "retrain",
    "run_pipeline",
]
__getattr__, __dir__ = _lazy_names(
    __name__,
    {
        "STAGES": "_stages",
        "PipelineConfig": "_config",
        "PipelineError": "_run",
        "PipelineResult": "_run",
        "RetrainResult": "_retrain",
        "SourceSpec": "_config",
        "StageResult": "_run",
        "airflow_dag": "_schedule",
        "cron_line": "_schedule",
        "feedback_rows": "_retrain",
        "load_pipeline": "_config",
        "retrain": "_retrain",
        "run_pipeline": "_run",
    },
    globals(),
)
