"""Corpora without labels (--task generation): prompts, cleaning rules, near-duplicates and a
language filter, on Russian text."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from textops.cli import app
from textops.data import DatasetStore, FileSource, IngestConfig, ingest

ROWS = [
    ("Овен", "Сегодня звёзды благоприятствуют Овнам: займитесь важными делами 🔥✨"),
    ("Телец", "Тельцам стоит отдохнуть и провести вечер с близкими людьми."),
    ("Близнецы", "Близнецов ждёт неожиданная встреча; не отказывайтесь от приглашений!"),
    # the same text under another sign: one copy kept
    ("Рак", "Тельцам стоит отдохнуть и провести вечер с близкими людьми."),
    # a near-duplicate of the Gemini row (one word changed)
    ("Лев", "Близнецов ждёт неожиданная встреча; не отказывайтесь от предложений!"),
    ("Дева", "Today the stars favour Virgo: finish the work you started last week."),
    ("Весы", "Ок"),
]


def _write(tmp_path: Path, rows: list[tuple[str, str]] = ROWS) -> Path:
    path = tmp_path / "horoscopes.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["sign", "body"])
        w.writerows(rows)
    return path


def _config(**kw: object) -> IngestConfig:
    return IngestConfig.model_validate({"task": "generation", **kw})


def test_a_corpus_keeps_texts_with_their_prompts(tmp_path: Path, home: Path) -> None:
    src = FileSource(_write(tmp_path), text_col="body", label_col="sign", labelled=False)
    ds = ingest([src], "horo", _config(), home=home)
    assert ds.task == "generation"
    texts, prompts = ds.texts(), ds.prompts()
    assert len(texts) == 6 and "Рак" not in prompts  # its text repeats the Taurus row's
    assert dict(zip(prompts, texts, strict=True))["Овен"].endswith("🔥✨")
    reasons = ds.manifest["rejected_by_reason"]
    assert reasons == {"exact_duplicate": 1}
    assert ds.manifest["config"]["task"] == "generation"


def test_without_a_prompt_column_prompts_are_empty(tmp_path: Path, home: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(json.dumps({"text": t}, ensure_ascii=False) for _, t in ROWS[:3]))
    ds = ingest([FileSource(path, labelled=False)], "c", _config(), home=home)
    assert ds.prompts() == ["", "", ""] and len(ds.texts()) == 3


def test_cleaning_rules_text_punct_near_duplicates_language_and_length(
    tmp_path: Path, home: Path
) -> None:
    src = FileSource(_write(tmp_path), text_col="body", label_col="sign", labelled=False)
    cfg = _config(keep="text_punct", near_duplicates=0.6, languages=("ru",), min_chars=5)
    ds = ingest([src], "horo", cfg, home=home)
    m = ds.manifest
    assert m["rejected_by_reason"] == {
        "exact_duplicate": 1, "near_duplicate": 1, "wrong_language": 1, "text_too_short": 1,
    }  # fmt: skip
    aries = dict(zip(ds.prompts(), ds.texts(), strict=True))["Овен"]
    assert aries == "Сегодня звёзды благоприятствуют Овнам: займитесь важными делами"
    assert m["repairs"]["non_text"] == 1
    quarantine = [json.loads(x) for x in ds.quarantine_path.read_text().splitlines()]
    near = next(r for r in quarantine if r["reason"] == "near_duplicate")
    assert "horoscopes.csv:4" in near["detail"]  # the Gemini row it repeats
    for key in ("keep", "near_duplicates", "languages"):
        assert m["config"][key] == cfg.model_dump(mode="json")[key]


def test_cli_ingest_generation_and_search_refuses_it(tmp_path: Path, home: Path) -> None:
    path = _write(tmp_path)
    res = CliRunner().invoke(app, ["data", "ingest", str(path), "--task", "generation",
                                   "--text-col", "body", "--prompt-col", "sign",
                                   "--set", "keep=text_punct", "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    ds = DatasetStore(home).get("horoscopes")
    assert ds.task == "generation" and "Овен" in ds.prompts()
    res = CliRunner().invoke(app, ["search", "horoscopes", "--embedders", "tfidf"])
    assert res.exit_code == 2 and "generation corpus" in res.output
    res = CliRunner().invoke(app, ["data", "ingest", str(path), "--prompt-col", "sign"])
    assert res.exit_code == 2 and "--prompt-col is for --task generation" in res.output


def test_the_cleaning_options_are_validated() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        IngestConfig.model_validate({"keep": "letters"})
    with pytest.raises(ValidationError):
        IngestConfig.model_validate({"near_duplicates": 1.5})
