"""The model a server answers with: a loaded classifier plus what the registry knows of it."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from textops._packages import available
from textops._types import JSON
from textops.embed import EMBEDDERS
from textops.errors import ModelNotFoundError, TextopsError, WrongModelKindError
from textops.model import Scored, TextClassifier, TrainingReference
from textops.serve._schemas import ModelInfo
from textops.track import (
    EnvComparison,
    EnvLock,
    ModelURI,
    client_for,
    compare_env,
    download_model,
    load_classifier,
    resolve_version,
)

__all__ = ["ServedClassifier", "ServedGenerator", "ServedModel", "load_served_model"]

if TYPE_CHECKING:
    from textops.gen import Generator

log = logging.getLogger("textops.serve")


@dataclass(frozen=True)
class EnvSummary:
    """The environment a version was trained in, and whether its numeric packages match the
    ones here (a model's predictions may differ from its registered scores when not)."""

    lock: EnvLock
    check: EnvComparison

    @classmethod
    def of(cls, lock: EnvLock) -> EnvSummary:
        return cls(lock, compare_env(lock))

    def as_json(self) -> JSON:
        return {
            "python": self.lock.python,
            "platform": self.lock.platform,
            "numeric_packages": self.lock.numeric_packages,
            "matches_here": self.check.ok,
            "numeric_differences": self.check.as_json()["numeric_differences"],
        }


@dataclass(frozen=True, kw_only=True)
class _Served:
    """What the registry knows of a served version, whatever its kind."""

    uri: str
    name: str | None
    version: str | None
    alias: str | None
    run_id: str | None
    test_metrics: dict[str, float]
    dataset_fingerprint: str | None
    env: EnvSummary
    loaded_at: float = field(default_factory=time.time)

    def _info(self, kind: str, labels: list[str], embedder: str, head: str, backend: str,
              cv_estimate: dict[str, float]) -> ModelInfo:  # fmt: skip
        return ModelInfo(
            name=self.name, version=self.version, alias=self.alias, uri=self.uri,
            run_id=self.run_id, labels=labels, kind=kind, embedder=embedder, head=head,
            backend=backend, test_metrics=self.test_metrics, cv_estimate=cv_estimate,
            dataset_fingerprint=self.dataset_fingerprint, env=self.env.as_json(),
            loaded_at=self.loaded_at,
        )  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class ServedClassifier(_Served):
    """A classifier and what the registry knows of it."""

    classifier: TextClassifier
    #: a few-labels model held no rows out: its repeated-CV estimate stands in for a test score
    cv_estimate: dict[str, float] = field(default_factory=dict)
    encoder_runtime: str | None = None  # "onnx-fp32" / "onnx-int8" when ONNX Runtime encodes
    reference: TrainingReference | None = None  # drift reference saved with the model
    kind: Literal["classifier"] = "classifier"

    @property
    def clf(self) -> TextClassifier:
        return self.classifier

    @property
    def labels(self) -> list[str]:
        return list(self.classifier.labels)

    @property
    def backend(self) -> str:
        spec = EMBEDDERS.get(self.classifier.embedder_key)
        return self.encoder_runtime or (spec.runtime if spec is not None else "scikit-learn")

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return self.classifier.predict_proba(texts)

    def predict_with_embeddings(self, texts: list[str]) -> Scored:
        return self.classifier.predict_with_embeddings(texts)

    def embed(self, texts: list[str]) -> object:
        return self.classifier.embed(texts)

    def info(self) -> ModelInfo:
        c = self.classifier
        return self._info(self.kind, self.labels, c.embedder_key, c.head_key, self.backend,
                          self.cv_estimate)  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class ServedGenerator(_Served):
    """A text generator and what the registry knows of it."""

    generator: Generator
    #: one generate call at a time (its tokenizer's padding side is per call state)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    kind: Literal["generator"] = "generator"
    reference: None = None  # no labels, so no drift reference
    backend: str = "torch"

    @property
    def clf(self) -> TextClassifier:
        """A 409 naming /v1/generate: a generator has no labels."""
        raise WrongModelKindError(
            f"{self.uri} is a text generator: POST /v1/generate (it has no labels to "
            "predict, explain or take feedback on)"
        )

    @property
    def labels(self) -> list[str]:
        return []

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return self.clf.predict_proba(texts)  # a 409 naming /v1/generate

    def info(self) -> ModelInfo:
        return self._info(self.kind, [], "-", "generator", self.backend, {})


#: what a service answers with: one served version of either kind. Routes that need one kind
#: ask for it (``.clf`` / ``.generator``), which is a 409 naming the right route otherwise.
ServedModel = ServedClassifier | ServedGenerator


def _reference(root: Path, uri: str) -> TrainingReference | None:
    try:
        return TrainingReference.load(root / "artifacts" / "classifier")
    except Exception as exc:  # drift is informative; the model itself loaded
        log.warning("no drift reference for %s: %s", uri, exc)
        return None


def _use_onnx(
    classifier: TextClassifier, run_id: str, tags: dict[str, str], tracking_uri: str
) -> str:
    """Swap the classifier's torch encoder for the version's ONNX export; the runtime's name."""
    import mlflow.artifacts

    from textops.embed import OnnxSentenceEncoder, resolve_model

    emb = classifier.embedder
    path = mlflow.artifacts.download_artifacts(
        run_id=run_id, artifact_path=tags["textops.onnx_artifact"], tracking_uri=tracking_uri
    )
    max_len = emb.max_seq_length or emb._configured_max_len() or 256
    onnx = OnnxSentenceEncoder(
        onnx_path=path, model_dir=str(resolve_model(emb.model)), max_seq_length=max_len
    ).fit([])
    classifier.embedder = onnx
    return f"onnx-{tags['textops.onnx']}"


def _served_generator(
    folder: Path, uri: str, load_uri: str, parts: ModelURI, version: str | None,
    tracking_uri: str,
) -> ServedModel:  # fmt: skip
    import json

    from textops.gen import Decoding, Generator

    generator = Generator.load(folder)
    generator.generate(["warm-up"], Decoding(max_new_tokens=1))  # lazy loads, not a user request
    lock_file = folder / "env_lock.json"
    env_lock = EnvLock.from_json(json.loads(lock_file.read_text()) if lock_file.is_file() else {})
    run_id, fingerprint, metrics = None, None, {}
    if parts.name is not None:
        try:
            mv = client_for(tracking_uri).get_model_version(parts.name, str(version))
            run_id, tags = mv.run_id, dict(mv.tags)
            fingerprint = tags.get("textops.dataset_fingerprint")
            if "textops.val_perplexity" in tags:
                metrics = {"val_perplexity": float(tags["textops.val_perplexity"])}
        except Exception as exc:  # metadata is informative; the model itself loaded
            log.warning("could not read registry metadata of %s: %s", load_uri, exc)
    return ServedGenerator(
        uri=uri, name=parts.name, version=version, alias=parts.alias,
        run_id=run_id, test_metrics=metrics, dataset_fingerprint=fingerprint,
        env=EnvSummary.of(env_lock), generator=generator,
    )  # fmt: skip


#: embedders of the models this process serves, by identity: two heads on MiniLM hold one
#: MiniLM (several models per service, and a hot swap to a version on the same encoder)
_SHARED_EMBEDDERS: dict[str, Any] = {}


def _share_embedder(classifier: Any) -> None:
    emb = classifier.embedder
    if emb.requires_fit or not emb.cacheable:  # fitted per model (TF-IDF): its own
        return
    import json

    key = json.dumps(emb.identity(), sort_keys=True, default=str)
    classifier.embedder = _SHARED_EMBEDDERS.setdefault(key, emb)


def load_served_model(
    uri: str, tracking_uri: str, *, version: str | None = None, backend: str = "auto"
) -> ServedModel:
    """Load ``uri`` (at ``version`` when an alias already resolved to it) and warm it up.

    ``backend``: ``auto`` uses the version's ONNX export when it has one, ``onnx`` requires it,
    ``torch`` ignores it."""
    parts = ModelURI.parse(uri)
    version = version or resolve_version(uri, tracking_uri)
    load_uri = f"models:/{parts.name}/{version}" if parts.name is not None else uri
    from textops.gen import GENERATOR_FILE

    root = download_model(load_uri, tracking_uri)  # once: the classifier and its reference
    if (root / GENERATOR_FILE).is_file():
        return _served_generator(root, uri, load_uri, parts, version, tracking_uri)
    classifier, lock = load_classifier(str(root), tracking_uri)
    _share_embedder(classifier)
    reference = _reference(root, load_uri)
    run_id = metrics = fingerprint = runtime = None
    estimate: dict[str, float] = {}
    tags: dict[str, str] = {}
    if parts.name is not None:
        try:
            client = client_for(tracking_uri)
            mv = client.get_model_version(parts.name, str(version))
            run_id = mv.run_id
            tags = dict(mv.tags)
            fingerprint = tags.get("textops.dataset_fingerprint")
            if run_id:
                logged = client.get_run(run_id).data.metrics
                metrics = {k.removeprefix("test_"): float(v) for k, v in logged.items()
                           if k.startswith("test_")}  # fmt: skip
                estimate = {k.removeprefix("cv_estimate_"): float(v) for k, v in logged.items()
                            if k.startswith("cv_estimate_")}  # fmt: skip
        except Exception as exc:  # metadata is informative; the model itself loaded
            log.warning("could not read registry metadata of %s: %s", load_uri, exc)
    onnx_ok = available("onnxruntime")
    if backend == "auto" and not onnx_ok and "textops.onnx" in tags:
        log.warning("%s has an ONNX export, but onnxruntime is not installed: torch encodes "
                    "(pip install 'textops[onnx]')", load_uri)  # fmt: skip
    if backend != "torch" and run_id and "textops.onnx" in tags and onnx_ok:
        runtime = _use_onnx(classifier, run_id, tags, tracking_uri)
    elif backend == "onnx":
        raise ModelNotFoundError(
            f"{load_uri} has no ONNX export; run `textops export onnx {load_uri}` first"
        )
    try:
        classifier.predict_proba(["warm-up"])  # first call pays lazy loads, not a user request
    except Exception as exc:
        raise TextopsError(f"model {load_uri} loaded but cannot predict: {exc}") from exc
    return ServedClassifier(
        classifier=classifier,
        uri=uri,
        name=parts.name,
        version=version,
        alias=parts.alias,
        run_id=run_id,
        test_metrics=metrics or {},
        dataset_fingerprint=fingerprint,
        env=EnvSummary.of(lock),
        cv_estimate=estimate,
        encoder_runtime=runtime,
        reference=reference,
    )
