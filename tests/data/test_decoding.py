"""The same bytes decode the same way at ingest and at prediction, and a guess is said out loud:
a Latin-1 tweet file with rows damaged on a Mac, which charset detection alone reads as a
rare code page (mac-latin2, cp775) and whose parts it reads differently (cp1250)."""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from textops.cli import app
from textops.data import DatasetStore, FileSource, IngestConfig, ingest, read_table
from textops.data._repair import guess_encoding

runner = CliRunner()

PHRASES = [
    ("I can’t wait for the café opening tonight!", "pos"),
    ("Naïve résumé of the façade — “great” stuff", "pos"),
    ("Señor García’s piñata was über cool", "pos"),
    ("Just landed in Zürich… coffee please", "pos"),
    ("Don’t forget: the crème brûlée is awful", "neg"),
    ("so tired, the bus broke down again", "neg"),
    ("worst service ever, never again", "neg"),
    ("lost my keys and my phone today", "neg"),
]


def _row(i: int, text: str, label: str, mac: bool) -> bytes:
    t = f"{text} #{i}"
    if mac:  # saved on a Mac: curly quotes and accents as Mac Roman bytes
        b = t.encode("mac_roman", errors="replace")
    else:  # the rest of the export: Latin-1, curly quotes flattened
        flat = t.replace("’", "'").replace("“", '"').replace("”", '"').replace("—", "-")
        b = flat.replace("…", "...").encode("latin-1", errors="replace")
    return b'"' + b + b'",' + label.encode() + b"\n"


def write_damaged(path: Path, n: int = 400, only_mac: bool = False, seed: int = 0) -> Path:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        text, label = rng.choice(PHRASES)
        rows.append(_row(i, text, label, mac=only_mac or i % 3 == 0))
    path.write_bytes(b"text,label\n" + b"".join(rows))
    return path


def test_a_rare_code_page_loses_to_windows_1252_and_the_guess_is_said(tmp_path: Path) -> None:
    head = write_damaged(tmp_path / "tweets.csv").read_bytes()
    guess = guess_encoding(head)
    assert guess.encoding == "cp1252" and not guess.confident
    assert "rare code page" in guess.note
    # a Russian export in Windows-1251 is still that, and sure of it
    ru = ("Привет, как дела? Всё хорошо, спасибо. " * 40).encode("cp1251")
    assert guess_encoding(ru).encoding == "cp1251" and guess_encoding(ru).confident


def test_ingest_warns_and_data_show_prints_the_encoding(
    tmp_path: Path, home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_damaged(tmp_path / "tweets.csv")
    with caplog.at_level(logging.WARNING, logger="textops.data"):
        ds = ingest([FileSource(path)], "tweets", home=home)
    assert any("--encoding" in r.getMessage() and "cp1252" in r.getMessage()
               for r in caplog.records)  # fmt: skip
    (src,) = ds.manifest["sources"]
    assert (src["encoding"], src["encoding_confident"]) == ("cp1252", False)
    shown = runner.invoke(app, ["data", "show", "tweets"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0 and "cp1252" in shown.output and "guess" in shown.output
    # the Latin-1 rows (two in three) are what they were
    assert "Señor García's piñata was über cool #2" in ds.texts() or any(
        t.startswith("Señor García's piñata") for t in ds.texts()
    )


def test_prediction_reads_a_file_as_the_models_training_data_was_read(
    tmp_path: Path, home: Path
) -> None:
    """A file holding only some of the rows (here: the Mac-damaged ones) reads differently
    on its own; predict reads it in the encoding the model's training data had, and says so."""
    from textops.search import SearchConfig, run_search
    from textops.track import MlflowTracker, load_classifier

    path = write_damaged(tmp_path / "tweets.csv")
    ds = ingest([FileSource(path)], "tweets", home=home)
    run_search(SearchConfig(dataset="tweets", embedders=("tfidf",), heads=("logreg",), trials=1,
                            cv_folds=2), home=home, tracker=MlflowTracker(home=home),
               show_progress=False)  # fmt: skip
    lines = path.read_bytes().splitlines(keepends=True)
    part = tmp_path / "part.csv"  # the header, and the Mac-damaged rows as they were
    part.write_bytes(lines[0] + b"".join(lines[1::3][:60]))
    alone = guess_encoding(part.read_bytes())
    assert alone.encoding != "cp1252"  # on its own, it would decode otherwise
    clf, _ = load_classifier("models:/tweets@champion", f"sqlite:///{home / 'mlflow.db'}")
    assert clf.decoding is not None and clf.decoding.encoding == "cp1252"
    table = read_table(part, prefer=clf.decoding.encoding)
    assert table.encoding is not None and table.encoding.encoding == "cp1252"
    stored = set(ds.texts())
    got = clf.prepare(table.column("text"))
    assert sum(t in stored for t in got) >= 0.9 * len(got)  # the same strings as training
    out = tmp_path / "scored.csv"
    res = runner.invoke(
        app, ["predict", "models:/tweets@champion", "--input", str(part), "--output", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "as cp1252 (the encoding the model's training data had)" in res.output


def test_html_entities_and_dates_as_users_expect(tmp_path: Path, home: Path) -> None:
    path = tmp_path / "web.csv"
    path.write_text(
        "text,label,date\n"
        '"Tom &amp; Jerry&#039;s &quot;best&quot; day",pos,Mon Apr 06 22:19:45 PDT 2009\n'
        "plain words here,neg,1244412000\n"
        "fish &amp; chips,pos,not a date\n",
        encoding="utf-8",
    )
    ds = ingest([FileSource(path)], "web", IngestConfig(unescape_html=True), home=home)
    assert 'Tom & Jerry\'s "best" day' in ds.texts()
    assert ds.manifest["repairs"].get("html_entities") == 2
    import pyarrow.parquet as pq

    created = pq.read_table(ds.data_path).column("created_at").to_pylist()
    assert "2009-04-06T22:19:45-07:00" in created
    assert "2009-06-07T22:00:00+00:00" in created and "not a date" in created
    assert ds.decoding.unescape_html


def test_blank_rows_get_no_prediction_and_are_counted(tmp_path: Path) -> None:
    fixture = Path(__file__).parents[1] / "fixtures" / "models" / "logreg_tfidf"
    src = tmp_path / "in.csv"
    src.write_text('text,id\n"goal team match",1\n"",2\n"   ",3\n"bank loan",4\n')
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["predict", str(fixture), "--input", str(src), "--output", str(out),
                              "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout.strip().splitlines()[-1])
    assert (report["predicted"], report["rows_without_text"]) == (2, 2)
    rows = out.read_text().splitlines()
    assert rows[2].split(",")[2] == "" and rows[3].split(",")[2] == ""  # no label
    res = runner.invoke(app, ["predict", str(fixture), "goal", "  "])
    assert res.exit_code == 2 and "[2]" in res.output
    # a file named as a text (predict MODEL data.csv) is not scored as the string "data.csv"
    res = runner.invoke(app, ["predict", str(fixture), str(src)])
    assert res.exit_code == 2 and f"pass --input {src}" in res.output, res.output


def test_the_service_refuses_a_blank_text_naming_it(settings_for) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from textops.serve import create_app

    with TestClient(create_app(settings_for(monitor=False))) as c:
        for texts, field in ((["ok", ""], "texts.1"), (["   "], "texts.0")):
            r = c.post("/v1/predict", json={"texts": texts})
            assert r.status_code == 422, r.text
            detail = r.json()["detail"][0]
            assert detail["field"] == field and "empty or only whitespace" in detail["message"]
        assert c.post("/v1/explain", json={"texts": [""]}).status_code == 422
        assert c.post("/v1/predict", json={"texts": ["goal"]}).status_code == 200


def test_a_models_decoding_is_saved_with_it_and_repairs_served_text(tmp_path: Path) -> None:
    """The repairs training made (mojibake here) are made to a served text too."""
    from textops.data import TextDecoding
    from textops.model import TextClassifier

    fixture = Path(__file__).parents[1] / "fixtures" / "models" / "logreg_tfidf"
    clf = TextClassifier.load(fixture / "artifacts" / "classifier")
    assert clf.decoding is None  # saved before decodings were recorded: only normalised
    assert clf.prepare(["donâ€™t"]) == ["donâ€™t"]
    clf.decoding = TextDecoding(encoding="cp1252", unescape_html=True)
    assert clf.prepare(["donâ€™t &amp; go"]) == ["don’t & go"]
    saved = clf.save(tmp_path / "m")
    again = TextClassifier.load(saved)
    assert again.decoding == clf.decoding
    assert json.loads((saved / "classifier.json").read_text())["decoding"]["encoding"] == "cp1252"


def test_rare_labels_are_named_filtered_and_mapped(tmp_path: Path, home: Path) -> None:
    """A search on data with labels too rare for CV names them with their counts and says
    what to do; ingest can quarantine them (min_rows_per_label) or merge labels (label_map)."""
    from textops.errors import ConfigError
    from textops.search import SearchConfig, run_search
    from textops.track import MemoryTracker

    rows = [(f"a fine and lovely day number {i}", "10") for i in range(40)]
    rows += [(f"an awful and broken thing number {i}", "1") for i in range(40)]
    rows += [("meh, it was fine I guess", "5"), ("pretty good overall really", "8")]
    path = tmp_path / "drugs.csv"
    path.write_text("review,rating\n" + "".join(f'"{t}",{r}\n' for t, r in rows))
    assert runner.invoke(app, ["data", "ingest", str(path), "--name", "drugs"]).exit_code == 0
    cfg = SearchConfig(dataset="drugs", embedders=("fake",), heads=("logreg",), trials=1)
    with pytest.raises(ConfigError) as err:
        run_search(cfg, home=home, tracker=MemoryTracker(), show_progress=False)
    assert "'5': " in str(err.value) and "'8': " in str(err.value)
    assert "min_rows_per_label" in str(err.value) and "label_map" in str(err.value)
    res = runner.invoke(app, ["data", "ingest", str(path), "--name", "drugs", "--set",
                              "min_rows_per_label=5", "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    ds = DatasetStore(home).get("drugs")
    assert set(ds.labels()) == {"1", "10"}
    assert ds.manifest["rejected_by_reason"]["rare_label"] == 2
    quarantined = [json.loads(x) for x in ds.quarantine_path.read_text().splitlines()]
    assert {q["reason"] for q in quarantined} == {"rare_label"}
    assert "min_rows_per_label=5" in quarantined[0]["detail"]
    mapping = tmp_path / "map.yaml"
    mapping.write_text("1: negative\n5: neutral\n8: positive\n10: positive\n")
    res = runner.invoke(app, ["data", "ingest", str(path), "--name", "drugs3", "--set",
                              f"label_map={mapping}"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert set(DatasetStore(home).get("drugs3").labels()) == {"negative", "neutral", "positive"}


def test_languages_are_noticed_and_the_default_search_reads_them(
    tmp_path: Path, home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Russian contexts: the manifest says Russian, the default search space leaves out the
    English-only embedders (MiniLM, mpnet, static vectors, English readability features) and
    keeps the multilingual e5 and TF-IDF; asking for an English one by name warns."""
    from textops.search import DEFAULT_EMBEDDERS, SearchConfig
    from textops.search._run import _for_language

    sentences = [
        "Банк повысил ставку по кредиту, и платёж вырос в этом месяце",
        "Команда выиграла матч благодаря отличной игре вратаря",
        "Сервер перестал отвечать после обновления программы вчера вечером",
    ]
    rows = [(f"{sentences[i % 3]}, сказал он в {i} раз", str(i % 3)) for i in range(90)]
    path = tmp_path / "ru.csv"
    path.write_text("text,label\n" + "".join(f'"{t}",{lab}\n' for t, lab in rows), "utf-8")
    ds = ingest([FileSource(path)], "ru", home=home)
    assert ds.language == "ru" and ds.manifest["languages"]["shares"]["ru"] >= 0.9
    shown = runner.invoke(app, ["data", "show", "ru"])
    assert "languages: ru" in shown.output
    with caplog.at_level(logging.WARNING, logger="textops.search"):
        cfg = _for_language(SearchConfig(dataset="ru"), "ru")
    assert "e5" in cfg.embedders and "tfidf" in cfg.embedders
    assert not {"minilm", "mpnet", "static", "linguistic", "tfidf_minilm"} & set(cfg.embedders)
    assert any("mostly 'ru'" in r.getMessage() for r in caplog.records)
    assert _for_language(SearchConfig(dataset="x"), "en").embedders == DEFAULT_EMBEDDERS
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="textops.search"):
        named = _for_language(SearchConfig(dataset="ru", embedders=("minilm", "tfidf")), "ru")
    assert named.embedders == ("minilm", "tfidf")  # asked for by name: kept, with a warning
    assert any("made for English" in r.getMessage() for r in caplog.records)
