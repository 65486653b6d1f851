"""``textops build image``: a container build context for a registered model: a Dockerfile on
a pinned base, the model's own folder and its environment lock (the image installs the exact
versions the model was trained with), a non-root user and a health check on /readyz. ``gpu``
writes a training image on a CUDA base instead (``textops`` as its entry point).

The context builds with docker, podman or buildah; no registry is contacted when the base is
already local (``--build-arg BASE=...``)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from textops._types import JSON
from textops._version import __version__

__all__ = ["CPU_BASE", "GPU_BASE", "BuildContext", "write_build_context"]

#: pinned bases (a tag with its patch version; override with --build-arg BASE=...)
CPU_BASE = "python:3.11.11-slim-bookworm"
GPU_BASE = "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04"
UID = 10001

_CPU = """# syntax=docker/dockerfile:1
# textops serving image for {uri}, written by `textops build image`.
ARG BASE={base}
FROM ${{BASE}}
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \\
    TOKENIZERS_PARALLELISM=false TEXTOPS_HOME=/var/lib/textops
# the exact versions the model was trained with, then textops itself
COPY constraints.txt /opt/textops/constraints.txt
COPY wheels/ /opt/textops/wheels/
RUN python -m pip install --no-cache-dir --find-links /opt/textops/wheels \\
        -c /opt/textops/constraints.txt torch=={torch} "textops[serve]=={version}"
RUN useradd --create-home --uid {uid} textops && mkdir -p /var/lib/textops \\
    && chown textops /var/lib/textops
COPY --chown=textops model/ /opt/textops/model/
USER textops
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \\
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"
ENTRYPOINT ["textops", "serve", "/opt/textops/model", "--host", "0.0.0.0", "--port", "8000"]
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
RUN pip install --no-cache-dir torch=={torch} --index-url https://download.pytorch.org/whl/cu124 \\
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

    def as_json(self) -> JSON:
        return {
            "path": str(self.path),
            "kind": self.kind,
            "base": self.base,
            "files": self.files,
            "build": f"docker build -t textops-model {self.path}",
        }


def _constraints(env_lock: JSON) -> str:
    packages = env_lock.get("packages", {}) if isinstance(env_lock, dict) else {}
    # a local build tag (torch's +cpu) is not on the package index: the release it builds on
    lines = [
        f"{name}=={str(ver).split('+')[0]}"
        for name, ver in sorted(packages.items())
        if name != "textops"
    ]
    return "\n".join(lines) + "\n"


def _wheel(into: Path) -> None:
    """textops as a wheel when this install comes from a source tree (else the image takes
    the published version from the package index)."""
    root = Path(__file__).resolve().parents[3]
    if (root / "pyproject.toml").is_file() and (root / "src" / "textops").is_dir():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "--quiet",
                "--wheel-dir",
                str(into),
                str(root),
            ],
            check=True,
        )


def write_build_context(
    uri: str, out: Path, tracking_uri: str, *, gpu: bool = False, base: str | None = None
) -> BuildContext:
    """Write ``out``: Dockerfile, constraints.txt (the model's environment lock), the model
    folder (serving image) and a textops wheel (``wheels/``)."""
    from textops.track import download_model, load_classifier

    out.mkdir(parents=True, exist_ok=True)
    _, env_lock = load_classifier(uri, tracking_uri)
    torch = str(env_lock.get("packages", {}).get("torch", "2.13.0"))
    (out / "constraints.txt").write_text(_constraints(env_lock), "utf-8")
    wheels = out / "wheels"
    wheels.mkdir(exist_ok=True)
    _wheel(wheels)
    kind, chosen = ("gpu", base or GPU_BASE) if gpu else ("cpu", base or CPU_BASE)
    template = _GPU if gpu else _CPU
    if not gpu:
        model = out / "model"
        if model.exists():
            shutil.rmtree(model)
        shutil.copytree(download_model(uri, tracking_uri), model)
    (out / "Dockerfile").write_text(
        template.format(
            uri=uri, base=chosen, torch=torch.split("+")[0], version=__version__, uid=UID
        ),
        "utf-8",
    )
    (out / ".dockerignore").write_text("**/__pycache__\n", "utf-8")
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    return BuildContext(out, kind, chosen, files)
