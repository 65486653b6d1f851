"""``textops explain``: texts, --json, --html, --label and --evaluate on a registered model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import Registered
from textops.cli import app

runner = CliRunner()


def _invoke(registered: Registered, *args: str, code: int = 0) -> str:
    res = runner.invoke(
        app, [*args, "--tracking-uri", registered.tracking_uri],
        env={"TEXTOPS_HOME": str(registered.home)},
    )  # fmt: skip
    assert res.exit_code == code, res.output + str(res.exception)
    return res.stdout


def test_explain_texts_as_json_and_html(registered: Registered, tmp_path: Path) -> None:
    page = tmp_path / "why.html"
    out = _invoke(
        registered, "explain", "models:/topics@champion", "football match goal <b>team</b>",
        "bank loan", "--json", "--html", str(page),
    )  # fmt: skip
    body = json.loads(out)
    first, second = body["explanations"]
    assert first["method"] == "occlusion" and first["label"] == "sport"
    assert [w["word"] for w in second["words"]] == ["bank", "loan"]
    html = page.read_text()
    assert html.count('class="attr"') == 2 and "&lt;b&gt;team&lt;/b&gt;" in html
    assert "rgba(22,163,74" in html


def test_explain_prints_top_words_and_explains_another_label(registered: Registered) -> None:
    out = _invoke(registered, "explain", "models:/topics@champion", "football match goal")
    assert "sport" in out and "top:" in out and "football" in out
    text = "football match goal team"
    predicted = json.loads(_invoke(registered, "explain", "models:/topics@champion", text,
                                   "--json"))["explanations"][0]["label"]  # fmt: skip
    other = next(label for label in ("money", "sport", "tech") if label != predicted)
    out = _invoke(registered, "explain", "models:/topics@champion", text, "--label", other)
    assert out.startswith(other) and f"(predicted {predicted})" in out
    err = runner.invoke(
        app, ["explain", "models:/topics@champion", "x", "--label", "weather",
              "--tracking-uri", registered.tracking_uri],
    )  # fmt: skip
    assert err.exit_code == 2 and "label: 'weather'" in err.output


def test_evaluate_reports_faithfulness_against_random(registered: Registered) -> None:
    out = _invoke(
        registered, "explain", "models:/topics@champion", "--evaluate", "--sample", "30",
        "--method", "occlusion", "--json",
    )  # fmt: skip
    report = json.loads(out)
    assert report["dataset"] == "topics" and report["split"] == "test" and report["texts"] == 30
    (occ,) = report["methods"]
    assert occ["method"] == "occlusion" and occ["bins_percent"] == [1, 5, 10, 20, 50]
    assert occ["ratio_to_random_at_20"] >= 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give TEXT arguments"),
        (("a", "--method", "occlusion", "--method", "shap"), "give one --method"),
        (("a", "--method", "ig"), "method: ig does not apply"),
    ],
)
def test_explain_errors_say_what_to_do(
    registered: Registered, args: tuple[str, ...], message: str
) -> None:
    res = runner.invoke(
        app, ["explain", "models:/topics@champion", *args, "--tracking-uri",
              registered.tracking_uri],
    )  # fmt: skip
    assert res.exit_code == 2 and message in res.output
