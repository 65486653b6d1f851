"""The dashboard in real headless Chromium: it loads, every chart renders with data, the try-it
box answers, the console stays clean, and a screenshot is written (test-artifacts/)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._serving import serving
from tests.conftest import Registered, topic_rows

pytestmark = pytest.mark.integration

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]  # fmt: skip


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail("Chromium is not installed; .ci/run installs it (apt-get install chromium)")
    pytest.skip("Chromium is not installed: apt-get install chromium")


@pytest.fixture(scope="module")
def server(registered: Registered, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import httpx2 as httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db = f"sqlite:///{tmp_path_factory.mktemp('dash') / 'm.db'}"
    env = {**os.environ, "TEXTOPS_HOME": str(registered.home), "DASH_KEY": "dash-key"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "textops", "serve", "models:/topics@champion", "--port", str(port),
         "--tracking-uri", registered.tracking_uri, "--poll-seconds", "0", "--monitor-db", db,
         "--api-key-env", "DASH_KEY", "--log-text"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    key = {"x-api-key": "dash-key"}
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        rows = topic_rows(90, seed=11)
        preds = httpx.post(
            f"{url}/v1/predict", json={"texts": [t for t, _ in rows]}, headers=key
        ).json()
        items = [{"prediction_id": p["prediction_id"], "label": lab}
                 for p, (_, lab) in zip(preds["predictions"], rows, strict=True)]  # fmt: skip
        assert (
            httpx.post(f"{url}/v1/feedback", json={"items": items}, headers=key).status_code == 200
        )
        time.sleep(1.0)  # flushed
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_dashboard_renders_every_chart_in_chromium(server: str) -> None:
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    external: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        # the key a user typed earlier in this tab (the page keeps it in sessionStorage)
        page.add_init_script("sessionStorage.setItem('textops-key', 'dash-key')")
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on(
            "request",
            lambda r: external.append(r.url) if not r.url.startswith(server) else None,
        )
        page.goto(f"{server}/dashboard")
        page.wait_for_selector("body[data-ready='1']", timeout=30_000)
        for chart in ("traffic", "latency", "labels", "accuracy"):
            js = f"document.getElementById('{chart}').data"
            traces: Any = page.evaluate(
                f"{js}.map(t => (t.y || []).filter(v => v !== null).length)"
            )
            assert traces and max(traces) > 0, f"{chart} has no data"
            assert page.locator(f"#{chart} .main-svg").count() > 0, f"{chart} not drawn"
            # the time axis fits the data (a few minutes), not the hour the buckets span
            span: Any = page.evaluate(
                f"(() => {{ const r = document.getElementById('{chart}').layout.xaxis.range;"
                " return (new Date(r[1]) - new Date(r[0])) / 1000; })()"
            )
            assert span < 1800, (chart, span)
        drift_rows = page.locator("#drift tbody tr").all_inner_texts()
        assert drift_rows and all("alert" in row for row in drift_rows), drift_rows
        note = page.inner_text("#drift-note")
        if "drift detected" in note:  # the note names the statistic that fired
            assert "alert" in note, note
        card = page.inner_text("#card")
        import re

        assert not re.search(r"\d\.\d{5,}", card), card  # metrics rounded
        assert "accuracy" in page.inner_text("#acc-note")
        assert "topics" in page.inner_text("#model-title")
        page.fill("#text", "bank loan rate price")
        page.click("#go")
        page.wait_for_selector("#answer[data-label]", timeout=10_000)
        assert page.get_attribute("#answer", "data-label") in ("money", "sport", "tech")
        page.click("#explain")
        page.wait_for_selector("#why[data-label]", timeout=10_000)
        words = page.query_selector_all("#why span.w")
        assert [w.inner_text() for w in words] == ["bank", "loan", "rate", "price"]
        assert any("rgba(" in (w.get_attribute("style") or "") for w in words)
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "dashboard.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert not errors, errors
    assert not external, external  # no CDN: everything from the service itself
    assert shot.stat().st_size > 20_000


def test_swagger_docs_render_offline_in_chromium(server: str) -> None:
    """/docs draws the API's operations from assets the service serves (no CDN)."""
    from playwright.sync_api import sync_playwright

    external: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_FLAGS)
        page = browser.new_page()
        page.on(
            "request",
            lambda r: external.append(r.url) if not r.url.startswith(server) else None,
        )
        page.goto(f"{server}/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=30_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert any("/v1/predict" in p for p in paths), paths
        browser.close()
    assert not external, external


def test_a_two_model_service_has_a_model_picker(
    two_models: tuple[Path, str], tmp_path: Path
) -> None:
    """The dashboard of ``serve spam route`` shows the first model, and the picker switches
    every view (card, charts, try-it) to the second, with its own figures."""
    import httpx2 as httpx
    from playwright.sync_api import sync_playwright

    home, uri = two_models
    env = {**os.environ, "TEXTOPS_HOME": str(home)}
    args = ["models:/spam@champion", "models:/route@champion", "--tracking-uri", uri,
            "--poll-seconds", "0", "--monitor-db", f"sqlite:///{tmp_path / 'm.db'}"]  # fmt: skip
    errors: list[str] = []
    with serving(args, env) as (url, _):
        httpx.post(f"{url}/v1/models/route/predict", json={"texts": ["goal"] * 7})
        httpx.post(f"{url}/v1/predict", json={"texts": ["loan"] * 2})
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{url}/dashboard")
            page.wait_for_selector("body[data-model='spam']", timeout=30_000)
            options = page.locator("#model-pick option").all_inner_texts()
            assert options == ["spam", "route"]
            traffic = "document.getElementById('traffic').data[0].y.reduce((a, b) => a + b, 0)"
            assert page.evaluate(traffic) == 2
            page.select_option("#model-pick", "route")
            page.wait_for_selector("body[data-model='route']", timeout=30_000)
            assert "route" in page.inner_text("#model-title")
            page.wait_for_function("document.getElementById('card').innerText.includes('CV')")
            card = page.inner_text("#card")  # few labels: the CV estimate, not "test macro-F1 -"
            assert "CV-estimated macro-F1" in card and "test macro-F1" not in card, card
            page.wait_for_function(f"{traffic} === 7", timeout=30_000)
            page.fill("#text", "goal team")
            page.click("#go")
            page.wait_for_selector("#answer[data-label]", timeout=10_000)
            assert "model=route" in page.url
            browser.close()
    assert not errors, errors


def test_a_generator_has_its_own_view(gen_home: Path, tmp_path: Path) -> None:
    """A served generator's dashboard: its latest `gen eval` sweep as a plot and texts per
    setting, live counters, and a prompt box that writes with /v1/generate; no label charts
    (a generator has no labels) and no console errors."""
    from playwright.sync_api import sync_playwright
    from typer.testing import CliRunner

    from textops.cli import app
    from textops.track import default_tracking_uri

    uri = default_tracking_uri(gen_home)
    gens = tmp_path / "g.jsonl"
    sampled = CliRunner().invoke(app, ["gen", "sample", "models:/horo@champion", "--prompt",
                                       "Овен", "--temperature", "0.7,1.3", "--top-p", "0.95", "-n", "3",
                                       "--max-new-tokens", "8", "--output", str(gens),
                                       "--tracking-uri", uri])  # fmt: skip
    assert sampled.exit_code == 0, sampled.output
    scored = CliRunner().invoke(app, ["gen", "eval", str(gens), "--embedder", "fake",
                                      "--tracking-uri", uri])  # fmt: skip
    assert scored.exit_code == 0, scored.output
    env = {**os.environ, "TEXTOPS_HOME": str(gen_home)}
    args = ["models:/horo@champion", "--tracking-uri", uri, "--poll-seconds", "0",
            "--monitor-db", f"sqlite:///{tmp_path / 'm.db'}", "--max-new-tokens", "16"]  # fmt: skip
    errors: list[str] = []
    with serving(args, env) as (url, _), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1200})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{url}/dashboard")
        page.wait_for_selector("body[data-kind='generator'][data-ready='1']", timeout=30_000)
        points: Any = page.evaluate("document.getElementById('sweep').data[0].text")
        assert sorted(points) == ["t=0.7,p=0.95", "t=1.3,p=0.95"]
        assert page.locator("#sweep .main-svg").count() > 0
        rows = page.locator("#samples tbody tr")
        assert rows.count() == 2 and rows.nth(0).locator("li").count() == 3
        assert not page.locator("#traffic").is_visible()  # the label charts are hidden
        assert "validation perplexity" in page.inner_text("#card")
        page.fill("#prompt", "Овен")
        page.click("#gen-go")
        page.wait_for_selector("#gen-out[data-count='3']", timeout=30_000)
        page.wait_for_function(
            "Number(document.getElementById('gen-live').dataset.tokens) > 0", timeout=30_000
        )
        assert "tokens/s while generating" in page.inner_text("#gen-live")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard-generator.png"), full_page=True)
        browser.close()
    assert not errors, errors


def test_review_view_labels_ten_items_with_the_keyboard(
    registered: Registered, tmp_path: Path
) -> None:
    """The review view in Chromium: the queue loads with alice's review key (which names her
    as the reviewer), ten items are labelled with keys 1-3 (and some skipped with s); each is
    stored as reviewed feedback by alice, and the live accuracy counts them."""
    import httpx2 as httpx
    from playwright.sync_api import sync_playwright

    from textops.monitor import MonitorStore

    db = f"sqlite:///{tmp_path / 'm.db'}"
    env = {**os.environ, "TEXTOPS_HOME": str(registered.home), "DASH_KEY": "dash-key",
           "DASH_ADMIN": "dash-admin", "DASH_REVIEWERS": "alice=alice-review-key"}  # fmt: skip
    args = ["models:/topics@champion", "--tracking-uri", registered.tracking_uri,
            "--poll-seconds", "0", "--monitor-db", db, "--api-key-env", "DASH_KEY",
            "--admin-key-env", "DASH_ADMIN", "--review-keys-env", "DASH_REVIEWERS",
            "--log-text"]  # fmt: skip
    errors: list[str] = []
    with serving(args, env) as (url, _), sync_playwright() as pw:
        rows = topic_rows(30, seed=21)
        sent = httpx.post(f"{url}/v1/predict", json={"texts": [t for t, _ in rows]},
                          headers={"x-api-key": "dash-key"})  # fmt: skip
        assert sent.status_code == 200
        refused = httpx.get(f"{url}/v1/review", headers={"x-api-key": "dash-key"})
        assert refused.status_code == 403  # the API key does not open the queue
        browser = pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1600})
        page.add_init_script("sessionStorage.setItem('textops-key', 'alice-review-key')")
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{url}/dashboard")
        page.wait_for_selector("body[data-ready='1']", timeout=30_000)
        page.click("#review-load")
        page.wait_for_selector("#review[data-state='item']", timeout=30_000)
        assert page.input_value("#reviewer") == "alice"  # the key says who reviews
        keys = ["1", "2", "s", "3", "1", "s", "2", "3", "1", "2", "3", "1"]
        for n, key in enumerate(keys, 1):
            page.keyboard.press(key)
            labelled = sum(k != "s" for k in keys[:n])
            page.wait_for_selector(f"#review[data-labelled='{labelled}']", timeout=10_000)
        assert page.get_attribute("#review", "data-skipped") == "2"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard-review.png"), full_page=True)
        page.click("#review-load")  # the queue again: the labelled ones are gone from it
        page.wait_for_function(
            "document.getElementById('review-note').innerText.includes('of 20 unlabelled')",
            timeout=30_000,
        )
        page.evaluate("refresh()")
        page.wait_for_function(
            "document.getElementById('acc-note').innerText.includes('on 10 feedback labels')",
            timeout=30_000,
        )
        browser.close()
        perf = httpx.get(f"{url}/v1/monitor/performance",
                         headers={"x-api-key": "dash-key"}).json()  # fmt: skip
    assert not errors, errors
    assert perf["overall"]["n_feedback"] == 10
    stored = MonitorStore(db).labelled_texts(model_name="topics")
    assert len(stored) == 10
    assert all(r.reviewed and r.reviewer == "alice" for r in stored)
    picked = {"1": "money", "2": "sport", "3": "tech"}  # the model's labels, in order
    assert sorted(r.label for r in stored) == sorted(picked[k] for k in keys if k != "s")
