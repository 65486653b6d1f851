"""The pipeline file: one frozen pydantic model, read from YAML with ``key=value`` overrides.

Every key is checked: an unknown one is an error naming it (a typo must not silently fall back
to a default in a job that runs unattended at 3 a.m.). The search section takes exactly the
search's own options, so a key valid for ``textops search`` is valid here and no other.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from textops.data import IngestConfig, validate_name
from textops.search import SearchConfig

__all__ = [
    "ExportSpec",
    "GateSpec",
    "LlmSpec",
    "NotifySpec",
    "PipelineConfig",
    "RegisterSpec",
    "SourceSpec",
    "SqlSpec",
    "load_pipeline",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

#: SearchConfig keys the pipeline sets itself (from its name, its gate and register sections)
_SET_BY_PIPELINE = frozenset(
    {
        "dataset",
        "dataset_version",
        "model_name",
        "tracking_uri",
        "register_model",
        "gate",
        "gate_test",
        "gate_alpha",
        "pooled",
    }
)


def _search_options() -> type[BaseModel]:
    fields: dict[str, Any] = {
        key: (info.annotation, info)
        for key, info in SearchConfig.model_fields.items()
        if key not in _SET_BY_PIPELINE
    }
    return create_model("SearchOptions", __config__=_FROZEN, **fields)


if TYPE_CHECKING:  # the search's own fields, read as attributes

    class SearchOptions(BaseModel):
        def __getattr__(self, name: str) -> Any: ...

else:
    SearchOptions = _search_options()


class SqlSpec(BaseModel):
    """Rows from a SQL query through SQLAlchemy (credentials in the URL or the environment)."""

    model_config = _FROZEN
    url: str = Field(description="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db")
    query: str


class SourceSpec(BaseModel):
    """One input: a local path, any fsspec URL (https://, s3://, gs://; credentials from the
    environment), a SQL query, or a stored dataset (``dataset: NAME[@VERSION]``)."""

    model_config = _FROZEN
    path: str | None = Field(None, description="local file or fsspec URL (https://, s3://, ...)")
    sql: SqlSpec | None = None
    dataset: str | None = Field(None, description="a stored dataset, NAME or NAME@VERSION")
    text_col: str | None = None
    label_col: str | None = None
    id_col: str | None = None
    format: Literal["csv", "tsv", "jsonl", "parquet"] | None = None
    encoding: str = "auto"
    prefer_encoding: str | None = Field(
        None,
        description="with encoding auto: the encoding of a file that is not Unicode (retrain "
        "sets the champion's own, so its files decode as its training data did)",
    )
    #: fsspec storage options (e.g. {endpoint_url: ...} for an S3-compatible store)
    storage_options: dict[str, Any] = Field(default_factory=dict)
    max_bytes: int = Field(
        2 << 30, ge=1, description="a URL source larger than this is refused (bytes)"
    )
    timeout: float = Field(
        60.0, gt=0, le=3600, description="a URL source that sends nothing for this long fails"
    )
    max_seconds: float = Field(
        3600.0, gt=0, description="a URL source still arriving after this long fails"
    )
    split: Literal["train", "validation", "test"] | None = Field(
        None,
        description="every row of this source to this split (default: the hash of its text); "
        "train keeps rows out of what scores a model (retrain's unreviewed feedback)",
    )
    yields: bool = Field(
        False,
        description="a row of this source whose label contradicts an earlier source's row is "
        "quarantined alone, the earlier row kept (default: both quarantined)",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> SourceSpec:
        kinds = [k for k in ("path", "sql", "dataset") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(
                f"a source has exactly one of path, sql, dataset (got {kinds or 'none'})"
            )
        return self

    @property
    def kind(self) -> str:
        if self.sql is not None:
            return "sql"
        if self.dataset is not None:
            return "dataset"
        return "url" if "://" in str(self.path) else "file"


class GateSpec(BaseModel):
    """When the new model replaces the champion (see ``textops search --gate``)."""

    model_config = _FROZEN
    mode: Literal["none", "better", "significant"] = "better"
    test: Literal["mcnemar", "bootstrap"] = "mcnemar"
    alpha: float = Field(0.05, gt=0, lt=1)


class RegisterSpec(BaseModel):
    model_config = _FROZEN
    model_name: str | None = Field(
        None, description="registered model name (default: the pipeline's)"
    )


class ExportSpec(BaseModel):
    """ONNX export of the registered version (skipped when the gate kept the old champion)."""

    model_config = _FROZEN
    onnx: bool = True
    quantize: Literal["int8"] | None = None


class NotifySpec(BaseModel):
    """A JSON POST of the run's summary to a webhook (Slack-style ``text`` plus the details)."""

    model_config = _FROZEN
    webhook: str
    timeout: float = Field(10.0, gt=0)


class LlmSpec(BaseModel):
    """An OpenAI-compatible endpoint: it writes the ``llm`` recipe's rows (when the search's
    recipes name it) and, with ``classify``, is assessed as a classifier next to the trained
    models on the same test split. The key comes from ``api_key_env``."""

    model_config = _FROZEN
    endpoint: str
    model: str
    api_key_env: str = "OPENAI_API_KEY"
    per_class: int = Field(20, ge=1, description="rows written per label")
    classify: bool = False
    shots: int = Field(2, ge=0, description="train examples per label in the classify prompt")


class EmbedSpec(BaseModel):
    """Embedders whose vectors are cached before the search (a cache filled here, or on a
    cluster, is read by the search at no cost). Empty: the search embeds what fits its budget."""

    model_config = _FROZEN
    embedders: tuple[str, ...] = ()


class PipelineConfig(BaseModel):
    """Sources -> ingest -> validate -> embed -> search -> assess -> register -> export -> notify."""

    model_config = _FROZEN
    name: str
    sources: tuple[SourceSpec, ...] = Field(min_length=1)
    ingest: IngestConfig = IngestConfig()
    #: the validate stage: the fewest rows a label may have in train, and in test
    min_rows_per_label: int = Field(2, ge=1)
    embed: EmbedSpec = EmbedSpec()
    search: SearchOptions = SearchOptions()
    gate: GateSpec = GateSpec()
    #: ``register`` in the file (the attribute name is BaseModel's)
    registration: RegisterSpec = Field(RegisterSpec(), alias="register")
    export: ExportSpec | None = None
    notify: NotifySpec | None = None
    llm: LlmSpec | None = None
    tracking_uri: str | None = None
    #: where relative source paths are read from: the pipeline file's folder
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)

    @model_validator(mode="after")
    def _check(self) -> PipelineConfig:
        validate_name(self.name)
        self.search_config(self.name, "check", "sqlite://")  # the search's own checks, now
        if "llm" in (self.search.recipes or ()) and self.llm is None:
            raise ValueError("search.recipes has llm: add an llm section (endpoint, model)")
        return self

    @property
    def model_name(self) -> str:
        return self.registration.model_name or self.name

    def search_config(self, dataset: str, version: str, tracking_uri: str) -> SearchConfig:
        return SearchConfig(
            **self.search.model_dump(exclude_unset=True),
            dataset=dataset,
            dataset_version=version,
            model_name=self.model_name,
            tracking_uri=tracking_uri,
            register_model=False,
            gate=self.gate.mode,
            gate_test=self.gate.test,
            gate_alpha=self.gate.alpha,
        )


def load_pipeline(path: str | Path, overrides: Iterable[str] = ()) -> PipelineConfig:
    """The pipeline in ``path`` with ``overrides`` (``search.timeout=60``); relative source
    paths resolve against the file's folder."""
    from textops._config import load_config

    p = Path(path)
    return load_config(PipelineConfig, p, overrides, base_dir=p.resolve().parent)
