"""The reference site builds without a warning (broken links, missing pages), and the README
stays an entry page."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mkdocs_builds_strict(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("mkdocs")
    r = subprocess.run(
        [str(exe), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert (tmp_path / "site" / "search" / "index.html").exists() or (
        tmp_path / "site" / "index.html"
    ).exists()
    _every_public_name_is_in_the_api_reference(tmp_path / "site" / "api")


def _every_public_name_is_in_the_api_reference(api: Path) -> None:
    """The generated reference has a page per stage and an entry per name of its __all__."""
    import importlib

    stages = sorted(p.stem for p in (ROOT / "docs" / "api").glob("*.md") if p.stem != "index")
    assert {"data", "embed", "model", "track", "search", "gen", "explain", "monitor",
            "pipeline", "serve"} <= set(stages)  # fmt: skip
    for stage in stages:
        page = (api / stage / "index.html").read_text("utf-8")
        names = importlib.import_module(f"textops.{stage}").__all__
        missing = [n for n in names if f'id="textops.{stage}.{n}"' not in page]
        assert not missing, (stage, missing)


def test_readme_is_an_entry_page() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) < 200
    for page in ("docs/data.md", "docs/search.md", "docs/serve.md", "docs/benchmarks.md"):
        assert page in readme, page
