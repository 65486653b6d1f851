from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from textops.cli import app

runner = CliRunner()


def _run(*args: str, code: int = 0) -> str:
    res = runner.invoke(app, list(args))
    assert res.exit_code == code, res.output + str(res.exception)
    return res.stdout


def _json(*args: str, code: int = 0) -> dict:  # type: ignore[type-arg]
    out = _run(*args, "--json", code=code)
    lines = out.strip().splitlines()
    assert len(lines) == 1, "exactly one JSON object on stdout"
    result: dict = json.loads(lines[0])  # type: ignore[type-arg]
    return result


def _all_commands() -> list[list[str]]:
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(cmd: Any, path: list[str]) -> None:
        paths.append(path)
        # typer ships its own click: test for a group by shape, not by click's class
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, [*path, name])

    walk(root, [])
    return paths


@pytest.mark.parametrize("path", _all_commands(), ids=lambda p: " ".join(p) or "textops")
def test_every_command_has_help(path: list[str]) -> None:
    out = _run(*path, "--help")
    assert "Usage" in out and len(out) > 100


def test_ingest_json_contract_and_show_list(tmp_path: Path, home: Path) -> None:
    p = tmp_path / "msgs.csv"
    p.write_bytes(b"text,label\nhello there,a\n,a\nhello there,a\nbye now,b\n")
    report = _json("data", "ingest", str(p))
    assert report["dataset"] == "msgs"
    assert (report["rows_read"], report["rows_accepted"], report["rows_rejected"]) == (4, 2, 2)
    assert report["rejected_by_reason"] == {"empty_text": 1, "exact_duplicate": 1}
    assert report["labels"] == {"a": 1, "b": 1}
    assert Path(report["quarantine_path"]).is_file() and len(report["fingerprint"]) == 64
    listed = _json("data", "list")["datasets"]
    assert [d["dataset"] for d in listed] == ["msgs"]
    shown = _json("data", "show", "msgs")
    assert shown["fingerprint"] == report["fingerprint"]
    assert set(shown["splits"]) >= {"train", "validation", "test"}
    assert "msgs" in _run("data", "show", "msgs")


def test_an_ingest_warning_is_printed_once(tmp_path: Path, home: Path) -> None:
    """The library logs a dataset's warnings for Python callers; the command prints them under
    its tables, and only there."""
    p = tmp_path / "dups.csv"
    p.write_text("text,label\n" + "same text,a\n" * 5 + "other text,b\nmore text,a\n")
    res = runner.invoke(app, ["data", "ingest", str(p)])
    assert res.exit_code == 0, res.output
    assert res.output.count("rejected as exact_duplicate") == 1, res.output
    report = _json("data", "ingest", str(p), "--name", "dups2")
    assert any(w["reason"] == "exact_duplicate" for w in report["warnings"]), report


def test_ingest_options_and_overrides(tmp_path: Path, home: Path) -> None:
    p = tmp_path / "x.tsv"
    p.write_text("body\ty\nHello World\tk\nsomething else\tz\n")
    report = _json(
        "data",
        "ingest",
        str(p),
        "--text-col",
        "body",
        "--label-col",
        "y",
        "--labels",
        "k",
        "--lowercase",
        "--set",
        "splits.test=0.5",
        "--name",
        "xx",
    )
    assert report["rejected_by_reason"] == {"unknown_label": 1}
    shown = _json("data", "show", "xx")
    assert shown["normalization"]["lowercase"] is True
    assert shown["splits"]["fractions"]["test"] == 0.5
    assert shown["splits"]["test"]["rows"] + shown["splits"]["train"]["rows"] == 1


def test_embed_twice_reports_only_hits_then_cache_commands(home: Path) -> None:
    _json("data", "ingest", "--builtin", "trec")
    first = _json("embed", "trec", "--embedder", "fake")
    assert first["embedder"] == "fake" and first["rows"] == 5381
    assert first["cache_misses"] == 5381 and first["cache_hits"] == 0
    second = _json("embed", "trec", "--embedder", "fake")
    assert (second["cache_hits"], second["cache_misses"]) == (5381, 0)
    assert {"seconds", "rows", "embedder"} <= set(second)
    stats = _json("cache", "stats")
    assert stats["entries"] == 5381 and stats["bytes_per_embedding"] > 128
    verify = _json("cache", "verify", "--sample", "16")
    assert verify["ok"] and verify["spaces"][0]["checked"] == 16
    assert _json("cache", "prune")["removed_spaces"] == []


def test_verify_exits_1_beyond_tolerance(home: Path) -> None:
    _json("data", "ingest", "--builtin", "trec")
    _json("embed", "trec", "--embedder", "fake")
    report = _json("cache", "verify", "--atol", "-1", code=1)
    assert not report["ok"]


def test_damaged_cache_file_is_reported_and_recomputed(home: Path) -> None:
    _json("data", "ingest", "--builtin", "trec")
    _json("embed", "trec", "--embedder", "fake")
    (shard,) = (home / "cache" / "embeddings").rglob("*.shard")
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0x55
    shard.write_bytes(bytes(data))
    res = runner.invoke(app, ["embed", "trec", "--embedder", "fake", "--json"])
    assert res.exit_code == 0
    assert "damaged embedding-cache shard" in res.stderr and "recomputed" in res.stderr
    assert json.loads(res.stdout)["cache_misses"] == 5381
    assert _json("cache", "stats")["damaged_shards"] == 1


def test_errors_exit_2_with_a_message_that_says_what_to_do(tmp_path: Path, home: Path) -> None:
    p = tmp_path / "bad.csv"
    p.write_text("content,nope\nx,y\n")
    res = runner.invoke(app, ["data", "ingest", str(p)])
    assert res.exit_code == 2
    assert "bad.csv" in res.stderr and "--label-col" in res.stderr
    out = _json("data", "show", "missing", code=2)
    assert out["type"] == "DatasetNotFoundError" and "textops data ingest" in out["error"]
    res = runner.invoke(app, ["data", "ingest", "--builtin", "nope"])
    assert res.exit_code == 2 and "sms_spam" in res.stderr
    res = runner.invoke(app, ["data", "ingest"])
    assert res.exit_code == 2 and "--builtin" in res.stderr
    res = runner.invoke(app, ["data", "ingest", "movie_reviews"])  # a built-in's name as a path
    assert res.exit_code == 2 and "--builtin movie_reviews" in res.stderr
    res = runner.invoke(app, ["embed", "x", "--embedder", "word2vec"])
    assert res.exit_code == 2


def test_help_is_fast_and_imports_nothing_heavy() -> None:
    code = (
        "import sys, textops.cli; heavy = {'torch', 'sentence_transformers', 'sklearn', "
        "'pyarrow', 'transformers', 'fastapi', 'mlflow', 'optuna'} & set(sys.modules); "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    out = subprocess.run(
        [sys.executable, "-m", "textops", "--help"], check=True, capture_output=True, text=True
    ).stdout
    assert "data" in out and "cache" in out


def test_every_serve_setting_has_a_flag_and_help_from_the_settings() -> None:
    from textops.serve import ServeSettings

    serve = typer.main.get_command(app).commands["serve"]  # type: ignore[attr-defined]
    # the MODEL_URIS argument gives model_uri (its first) and also_serve (the rest)
    names = {"model_uri" if p.name == "model_uris" else p.name for p in serve.params}
    assert set(ServeSettings.model_fields) <= names
    out = runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "200"}).stdout
    for field, info in ServeSettings.model_fields.items():
        if field == "model_uri":
            continue
        assert f"--{field.replace('_', '-')}" in out, field
        assert (info.description or "")[1:20] in out, field


def test_search_flags_take_their_help_from_the_search_config() -> None:
    """Each flag of `search` that sets a SearchConfig field shows that field's description:
    the config holds the words, so --help cannot drift from it. Fields without a flag are set
    with --set or --config."""
    from textops.cli._common import field_help
    from textops.search import SearchConfig

    search = typer.main.get_command(app).commands["search"]  # type: ignore[attr-defined]
    renamed = {"register": "register_model", "alpha": "gate_alpha", "param": "head_options"}
    flags = {renamed.get(p.name, p.name): p for p in search.params}
    config_only = {"dataset_version", "seed", "few_labels", "cv_repeats", "pooled"}
    assert set(SearchConfig.model_fields) - config_only <= set(flags)
    for field in set(SearchConfig.model_fields) & set(flags) - {"dataset", "head_options"}:
        assert flags[field].help == field_help(SearchConfig, field), field


def test_ingest_flags_for_config_fields_take_their_help_from_the_config() -> None:
    from textops.cli._common import field_help
    from textops.data import IngestConfig

    group = typer.main.get_command(app).commands["data"]  # type: ignore[attr-defined]
    flags = {p.name: p for p in group.commands["ingest"].params}
    shared = set(IngestConfig.model_fields) & set(flags)
    assert {"task", "labels", "min_chars", "max_chars", "max_reject_rate"} <= shared
    for field in shared:
        assert flags[field].help == field_help(IngestConfig, field), field


def test_serve_takes_a_yaml_config_and_flags_override_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import textops.serve

    seen: list[object] = []
    monkeypatch.setattr(textops.serve, "run_server", seen.append)
    cfg = tmp_path / "serve.yaml"
    cfg.write_text(
        "model_uri: models:/spam@champion\nport: 9001\ndrift_window: 500\n"
        "alert_webhook: http://127.0.0.1:9/hook\nperf_windows: ['50', '2h']\n"
    )
    res = runner.invoke(
        app, ["serve", "--config", str(cfg), "--port", "9002", "--monitor-buffer", "77"]
    )
    assert res.exit_code == 0, res.output
    (settings,) = seen
    assert settings.model_uri == "models:/spam@champion"  # type: ignore[attr-defined]
    assert settings.port == 9002 and settings.drift_window == 500  # type: ignore[attr-defined]
    assert settings.monitor_buffer == 77  # type: ignore[attr-defined]
    assert settings.perf_windows == ("50", "2h")  # type: ignore[attr-defined]
    res = runner.invoke(app, ["serve", "--config", str(cfg), "--drift-window", "3"])
    assert res.exit_code == 2 and "drift_window" in res.stderr
    res = runner.invoke(app, ["serve"])
    assert res.exit_code == 2 and "MODEL_URI" in res.stderr


def test_serve_takes_several_models(monkeypatch: pytest.MonkeyPatch) -> None:
    import textops.serve

    seen: list[object] = []
    monkeypatch.setattr(textops.serve, "run_server", seen.append)
    res = runner.invoke(app, ["serve", "models:/spam@champion", "models:/route@champion"])
    assert res.exit_code == 0, res.output
    (settings,) = seen
    assert settings.model_uri == "models:/spam@champion"  # type: ignore[attr-defined]
    assert settings.also_serve == ("models:/route@champion",)  # type: ignore[attr-defined]
