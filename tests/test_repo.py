"""The repository itself: a fresh clone holds everything it needs and points nowhere else."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tracked(*args: str) -> list[str]:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "ls-files", "-z", *args],
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [p for p in out.decode().split("\0") if p]


def links_leaving(root: Path, entries: list[str]) -> list[str]:
    """Tracked symlinks (``ls-files -s`` lines, mode 120000) whose target is outside ``root``
    or absolute: a clone elsewhere would find nothing there (or something else)."""
    bad = []
    for line in entries:
        meta, _, path = line.partition("\t")
        if not meta.startswith("120000"):
            continue
        blob = meta.split()[1]
        target = subprocess.run(
            ["git", "-C", str(root), "cat-file", "-p", blob], capture_output=True, check=True
        ).stdout.decode()
        resolved = (root / path).parent.joinpath(target).resolve()
        if Path(target).is_absolute() or not resolved.is_relative_to(root.resolve()):
            bad.append(f"{path} -> {target}")
    return bad


def test_no_tracked_symlink_leaves_the_repo() -> None:
    assert links_leaving(ROOT, _tracked("-s")) == []


def test_the_check_finds_a_link_that_leaves(tmp_path: Path) -> None:
    """The check above, on a repository that tracks a link to /tmp (what broke a fresh clone)."""
    repo = tmp_path / "r"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".venv-airflow").symlink_to("/tmp/afvenv")
    (repo / "inside").symlink_to("README")
    (repo / "README").write_text("x")
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    out = subprocess.run(
        ["git", "-C", str(repo), "ls-files", "-s", "-z"], capture_output=True, check=True
    ).stdout.decode()
    entries = [p for p in out.split("\0") if p]
    assert links_leaving(repo, entries) == [".venv-airflow -> /tmp/afvenv"]


def test_the_venvs_make_builds_are_ignored_whatever_they_are() -> None:
    """``.venv-airflow/`` in .gitignore matched a folder only: a symlink of that name got
    committed. The patterns must match a link too."""
    for name in (".venv", ".venv-airflow"):
        r = subprocess.run(
            ["git", "-C", str(ROOT), "check-ignore", "--no-index", "-q", name],
            capture_output=True,
        )
        assert r.returncode == 0, f"{name} is not ignored by .gitignore"
