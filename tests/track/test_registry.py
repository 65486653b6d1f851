"""MLflow logging into a temporary SQLite store: runs, registry aliases, rollback, pyfunc."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from textops._json import to_json
from textops.cli import app
from textops.data import Dataset, MemorySource, ingest
from textops.errors import TextopsError
from textops.search import SearchConfig, run_search
from textops.track import (
    EnvLock,
    MlflowTracker,
    ModelRegistry,
    PackageDifference,
    capture_env_lock,
    compare_env,
    default_tracking_uri,
    download_model,
    load_classifier,
)

runner = CliRunner()


def _search(
    home: Path,
    trials: int = 3,
    heads: tuple[str, ...] = ("logreg",),
    dataset: str = "topics",
    embedders: tuple[str, ...] = ("fake",),
    study: str | None = None,
) -> dict:  # type: ignore[type-arg]
    cfg = SearchConfig(
        dataset=dataset,
        embedders=embedders,
        heads=heads,
        trials=trials,
        cv_folds=2,
        study=study or f"{dataset}-{'-'.join(heads)}",
    )
    return to_json(run_search(cfg, home=home, tracker=MlflowTracker(home=home)))


def test_runs_inputs_and_registry_in_sqlite(topics: Dataset, home: Path) -> None:
    report = _search(home)
    tracker = MlflowTracker(home=home)
    assert tracker.uri == f"sqlite:///{home / 'mlflow.db'}"
    parent = tracker.client.get_run(report["run_id"])
    assert parent.data.metrics["test_macro_f1"] == pytest.approx(report["test"]["macro_f1"])
    assert parent.data.params["dataset_fingerprint"] == topics.fingerprint
    contexts = {
        t.value
        for d in parent.inputs.dataset_inputs
        for t in d.tags
        if t.key == "mlflow.data.context"
    }
    assert contexts == {"train", "validation", "test"}
    nested = tracker.client.search_runs(
        [tracker.experiment_id()], f"tags.mlflow.parentRunId = '{report['run_id']}'"
    )
    assert len(nested) == 3
    artifacts = {a.path for a in tracker.client.list_artifacts(report["run_id"])}
    assert {"confusion_matrix.png", "env_lock.json", "leaderboard.json", "model"} <= artifacts
    assert (report["model_version"], report["alias"]) == (1, "champion")
    versions = ModelRegistry(home=home).versions("topics")
    assert versions[0].aliases == ["champion"]
    assert float(versions[0].tags["textops.test_macro_f1"]) == pytest.approx(
        report["test"]["macro_f1"], abs=1e-6
    )


def test_challenger_promote_and_rollback(topics: Dataset, home: Path) -> None:
    # one trial each, same seed and space: the same model again, which does not beat the
    # champion (with more trials, two trial threads can order them differently)
    first = _search(home, trials=1)
    second = _search(home, trials=1, study="again")
    assert second["comparison"]["new_macro_f1"] == first["test"]["macro_f1"]
    assert (first["alias"], second["alias"]) == ("champion", "challenger")
    assert second["comparison"]["champion_scored"] == "recorded (same test split)"
    reg = ModelRegistry(home=home)
    reg.promote("topics", 2)
    assert [v.aliases for v in reg.versions("topics")] == [[], ["champion"]]
    out = json.loads(runner.invoke(app, ["models", "rollback", "topics", "--json"]).stdout)
    assert out == {"name": "topics", "champion": 1, "rolled_back_from": 2}
    assert reg.versions("topics")[0].aliases == ["champion"]
    with pytest.raises(TextopsError, match="replaced no earlier champion"):
        reg.rollback("topics")


def test_running_a_finished_search_again_registers_nothing_new(topics: Dataset, home: Path) -> None:
    first = _search(home)
    again = _search(home)  # the same study: no trial left to run, the same winner
    assert again["model_version"] == first["model_version"] == 1
    assert (
        again["comparison"]["unchanged"]
        and "nothing new registered" in again["comparison"]["reason"]
    )
    assert [v.version for v in ModelRegistry(home=home).versions("topics")] == [1]


def test_each_search_space_gets_its_own_default_study(topics: Dataset, home: Path) -> None:
    cfg = SearchConfig(dataset="topics", embedders=("fake",), heads=("logreg",), trials=2)
    other = cfg.model_copy(update={"heads": ("knn",)})
    assert cfg.study_name != other.study_name
    assert cfg.study_name == cfg.model_copy(update={"trials": 9}).study_name
    first = to_json(run_search(cfg, home=home, tracker=MlflowTracker(home=home)))
    second = to_json(
        run_search(other, home=home, tracker=MlflowTracker(home=home), show_progress=False)
    )
    assert first["study"] != second["study"]
    assert second["best"]["head"] == "knn"  # its own winner, not the other study's
    assert second["model_version"] == 2


def test_rollback_walks_the_champion_history_back_and_never_flips(
    topics: Dataset, home: Path
) -> None:
    _search(home)
    _search(home, study="other")  # a second version
    reg = ModelRegistry(home=home)
    reg.promote("topics", 2)  # 1 -> 2
    reg.promote("topics", 1)  # 2 -> 1
    reg.promote("topics", 2)  # 1 -> 2
    assert reg.rollback("topics").champion == 1
    assert reg.rollback("topics").champion == 2
    assert reg.rollback("topics").champion == 1
    with pytest.raises(TextopsError, match="replaced no earlier champion"):
        reg.rollback("topics")


def test_unknown_model_or_version_is_one_line_and_exit_2(topics: Dataset, home: Path) -> None:
    _search(home)
    for args, says in (
        (["models", "promote", "topics", "9"], "has no version 9"),
        (["models", "promote", "nosuch", "1"], "no registered model 'nosuch'"),
        (["models", "rollback", "nosuch"], "no registered model 'nosuch'"),
        (["models", "show", "nosuch"], "no registered model 'nosuch'"),
    ):
        res = runner.invoke(app, args)
        assert res.exit_code == 2, (args, res.output)
        assert says in res.stderr and "Traceback" not in res.output
        assert len(res.stderr.strip().splitlines()) == 1, res.stderr


def test_champion_from_another_dataset_version_is_rescored(topics: Dataset, home: Path) -> None:
    from tests.conftest import topic_rows

    _search(home)
    ingest([MemorySource("topics", topic_rows(360))], "topics", home=home)  # new version
    with pytest.raises(TextopsError, match="holds trials of another search"):
        _search(home)  # the same named study on other data
    report = _search(home, study="on-the-new-version")
    assert report["comparison"]["champion_scored"] == "re-scored on this test split"
    assert report["alias"] in ("champion", "challenger")


def test_pyfunc_round_trip_gives_identical_predictions(topics: Dataset, home: Path) -> None:
    import mlflow.pyfunc

    _search(home, heads=("linear_svm",))
    uri = "models:/topics@champion"
    clf, _ = load_classifier(uri, default_tracking_uri(home))
    texts = topics.texts("test")[:20]
    ours = clf.predict_proba(texts)
    model = mlflow.pyfunc.load_model(str(download_model(uri, default_tracking_uri(home))))
    out = model.predict(pd.DataFrame({"text": texts}))
    theirs = out[[f"proba_{lab}" for lab in clf.labels]].to_numpy()
    np.testing.assert_array_equal(theirs, ours)
    assert list(out["label"]) == clf.predict(texts)
    assert not list(download_model(uri, default_tracking_uri(home)).rglob("*.pkl"))


def test_a_hybrid_models_pyfunc_round_trip_gives_identical_predictions(
    topics: Dataset, home: Path
) -> None:
    import mlflow.pyfunc

    report = _search(home, trials=2, embedders=("tfidf_minilm",))
    assert report["best"]["embedder"] == "tfidf_minilm"
    uri = "models:/topics@champion"
    clf, _ = load_classifier(uri, default_tracking_uri(home))
    assert "_dense" not in vars(clf.embedder)  # saved without MiniLM, rebuilt from the table
    texts = topics.texts("test")[:20]
    ours = clf.predict_proba(texts)
    model = mlflow.pyfunc.load_model(str(download_model(uri, default_tracking_uri(home))))
    out = model.predict(pd.DataFrame({"text": texts}))
    theirs = out[[f"proba_{lab}" for lab in clf.labels]].to_numpy()
    np.testing.assert_allclose(theirs, ours, atol=1e-6)
    assert list(out["label"]) == clf.predict(texts)


def test_env_check_detects_a_changed_numeric_package(topics: Dataset, home: Path) -> None:
    _search(home)
    res = runner.invoke(app, ["env", "check", "models:/topics@champion", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["ok"]
    here = capture_env_lock()
    lock = EnvLock.from_json(here.as_json())
    lock.packages["numpy"] = "1.0.0"
    lock.packages["some-unrelated-tool"] = "9"
    report = compare_env(lock)
    assert not report.ok
    assert report.numeric_differences == [
        PackageDifference("numpy", "1.0.0", here.packages["numpy"])
    ]
    assert any(r.package == "some-unrelated-tool" for r in report.other_differences)
    # a lock read back from its file is the lock that was written
    assert EnvLock.from_json(json.loads(json.dumps(here.as_json()))) == here
    # the CLI exits 1 on a model whose lock names another numpy
    model_dir = download_model("models:/topics@champion", default_tracking_uri(home))
    lock_file = model_dir / "artifacts" / "classifier" / "env_lock.json"
    saved = json.loads(lock_file.read_text())
    saved["packages"]["numpy"] = "1.0.0"
    lock_file.write_text(json.dumps(saved))
    res = runner.invoke(app, ["env", "check", str(model_dir)])
    assert res.exit_code == 1 and "numpy" in res.stdout


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "parquet"])
def test_cli_predict_on_files_keeps_every_column_in_every_format(
    fmt: str, topics: Dataset, home: Path, tmp_path: Path
) -> None:
    """The user's own `label` column (and an id like 007) survive; predictions are appended
    under names that cannot collide; the output reads back with the format's own reader."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    _search(home)
    texts = topics.texts("test")[:5]
    ids = [f"00{i}" for i in range(5)]
    mine = ["gold-a", "gold-b", "gold-a", "gold-c", "gold-b"]
    src = tmp_path / f"in.{fmt}"
    if fmt in ("csv", "tsv"):
        sep = "," if fmt == "csv" else "\t"
        rows = [sep.join(("id", "text", "label"))]
        rows += [sep.join(r) for r in zip(ids, texts, mine, strict=True)]
        src.write_text("\n".join(rows) + "\n")
    elif fmt == "jsonl":
        src.write_text(
            "".join(
                json.dumps({"id": i, "text": t, "label": m, "meta": {"k": [1, 2]}}) + "\n"
                for i, t, m in zip(ids, texts, mine, strict=True)
            )
        )
    else:
        pq.write_table(pa.table({"id": ids, "text": texts, "label": mine}), src)
    out = tmp_path / f"out.{fmt}"
    cmd = ["predict", "models:/topics@champion", "--input", str(src), "--output", str(out)]
    res = runner.invoke(app, [*cmd, "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["rows"] == 5
    clf, _ = load_classifier("models:/topics@champion", default_tracking_uri(home))
    added = ["predicted_label", *[f"proba_{c}" for c in clf.labels]]
    if fmt == "parquet":
        frame = pd.read_parquet(out)
    elif fmt == "jsonl":
        frame = pd.read_json(out, lines=True, dtype=False)
    else:
        frame = pd.read_csv(out, sep="," if fmt == "csv" else "\t", dtype=str)
    extra = ["meta"] if fmt == "jsonl" else []
    assert list(frame.columns) == ["id", "text", "label", *extra, *added]
    assert list(frame["id"]) == ids and list(frame["label"]) == mine
    assert list(frame["predicted_label"]) == clf.predict(texts)
    if fmt == "jsonl":
        assert frame["meta"].iloc[0] == {"k": [1, 2]}
    # a second run over its own output refuses to overwrite, and --prefix adds new columns
    again = runner.invoke(app, [*cmd[:3], str(out), "--output", str(tmp_path / f"2.{fmt}")])
    assert again.exit_code == 2 and "--prefix" in again.stderr
    ok = runner.invoke(
        app, [*cmd[:3], str(out), "--output", str(tmp_path / f"2.{fmt}"), "--prefix", "v2_"]
    )
    assert ok.exit_code == 0, ok.output


def test_cli_predict_reports_rows_it_could_not_read_instead_of_crashing(
    topics: Dataset, home: Path, tmp_path: Path
) -> None:
    _search(home)
    src = tmp_path / "odd.jsonl"
    src.write_text('{"text": "match goal team"}\n{"text": "bad \\ud800 half"}\n{"text": null}\n')
    out = tmp_path / "odd-out.jsonl"
    cmd = ["predict", "models:/topics@champion", "--input", str(src), "--output", str(out)]
    res = runner.invoke(app, [*cmd, "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["rows_invalid_text"] == 1 and report["rows_without_text"] == 1
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows[1]["text"] == "bad \ud800 half"  # written back as it came (escaped)
    assert rows[2]["predicted_label"] is None and rows[0]["predicted_label"]


def test_cli_predict_texts_and_bad_uris(topics: Dataset, home: Path) -> None:
    _search(home)
    res = runner.invoke(app, ["predict", "models:/topics/1", "match goal team", "--json"])
    assert res.exit_code == 0
    (pred,) = json.loads(res.stdout)["predictions"]
    assert pred["label"] in pred["probabilities"]
    assert sum(pred["probabilities"].values()) == pytest.approx(1.0)
    res = runner.invoke(app, ["predict", "models:/nope@champion", "x"])
    assert res.exit_code == 2 and "textops models list" in res.stderr


def test_odd_text_given_to_a_model_gets_an_answer_not_a_traceback(
    topics: Dataset, home: Path
) -> None:
    _search(home)
    clf, _ = load_classifier("models:/topics@champion", default_tracking_uri(home))
    assert len(clf.predict(["half \ud800 pair", "", "\x00", "goal"])) == 4
    # a byte the terminal could not decode reaches argv surrogate-escaped
    odd = b"bad \xff byte".decode("utf-8", "surrogateescape")
    res = runner.invoke(app, ["predict", "models:/topics@champion", odd, "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["predictions"][0]["text"] == "bad ÿ byte"


def test_the_registry_rescores_a_champion_of_other_data_itself(registered, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Registration takes data, not callbacks: given the new version's held-out rows, the
    registry predicts a champion scored on other data there itself, and the gate pairs them."""
    from tests.conftest import topic_rows
    from textops.model import macro_f1_labels
    from textops.track import Gate, HeldOut

    sources = [v.source for v in ModelRegistry(registered.tracking_uri).versions("topics")]
    reg = ModelRegistry(f"sqlite:///{tmp_path / 'mlflow.db'}")
    first = reg.register_classifier(name="t", source=sources[0], run_id="", tags={},
                                    macro_f1=0.5, fingerprint="old")  # fmt: skip
    assert first.alias == "champion"
    rows = topic_rows(60, seed=3)
    texts, labels = [t for t, _ in rows], [y for _, y in rows]
    held_out = HeldOut(texts, labels, predicted=labels)  # a perfect newcomer
    new = reg.register_classifier(name="t", source=sources[1], run_id="", tags={},
                                  macro_f1=1.0, fingerprint="new", held_out=held_out)  # fmt: skip
    old, _ = load_classifier("models:/t/1", reg.uri)
    expected = macro_f1_labels(labels, old.predict(texts))
    assert new.comparison.champion_scored == "re-scored on this test split"
    assert new.comparison.champion_macro_f1 == pytest.approx(expected)
    assert new.alias == ("champion" if expected < 1.0 else "challenger")
    paired = reg.register_classifier(name="t", source=sources[1], run_id="", tags={},
                                     macro_f1=1.0, fingerprint="new", held_out=held_out,
                                     gate=Gate(mode="significant"))  # fmt: skip
    assert paired.comparison.champion_scored == "predicted on this test split (paired)"
    assert paired.comparison.gate is not None and paired.comparison.gate.test == "mcnemar"
    logged = to_json(paired.comparison)  # champion_comparison.json and --json keep their keys
    assert logged["gate"]["test"] == "mcnemar" and logged["new_version"] == 3
