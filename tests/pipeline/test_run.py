"""`textops pipeline run`: the issue's minimal file end to end, skips, resume, MLflow nesting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import topic_rows
from tests.pipeline.conftest import fast, write_csv
from textops.cli import app

runner = CliRunner()


def _run(path: Path, *args: str) -> dict:
    sets = [a for o in fast() for a in ("--set", o)]
    res = runner.invoke(app, ["pipeline", "run", str(path), *sets, *args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_minimal_file_runs_then_a_rerun_skips_every_stage(tickets: Path, home: Path) -> None:
    first = _run(tickets)
    status = {s["stage"]: s["status"] for s in first["stages"]}
    assert status == {
        "ingest": "ran",
        "validate": "ran",
        "embed": "ran",
        "search": "ran",
        "assess": "ran",
        "register": "ran",
        "export": "off",
        "notify": "off",
    }
    reg = next(s for s in first["stages"] if s["stage"] == "register")["outputs"]
    assert reg["uri"] == "models:/tickets/1" and reg["promoted"] and reg["alias"] == "champion"

    second = _run(tickets)
    assert {s["stage"]: s["status"] for s in second["stages"] if s["status"] != "off"} == {
        n: "skipped" for n in ("ingest", "validate", "embed", "search", "assess", "register")
    }
    # the MLflow runs: one parent per pipeline run, one child per stage that was configured
    from textops.track import MlflowTracker

    tracker = MlflowTracker(first["tracking_uri"])

    def children(run_id: str) -> list[str]:
        runs = tracker.client.search_runs(
            [tracker.experiment_id()], f"tags.mlflow.parentRunId = '{run_id}'"
        )
        return [r.info.run_id for r in runs]

    children_ids = children(second["run_id"])
    assert len(children_ids) == 6
    tags = [tracker.client.get_run(c).data.tags for c in children_ids]
    assert {t["textops.stage_status"] for t in tags} == {"skipped"}
    # the search's own run nests under the first run's search stage run
    search_stage = next(s for s in first["stages"] if s["stage"] == "search")
    assert children(search_stage["run_id"]) == [search_stage["outputs"]["run_id"]]


def test_changed_data_reruns_and_the_gate_decides(tickets: Path, home: Path) -> None:
    _run(tickets)
    write_csv(tickets.parent / "data" / "tickets.csv", topic_rows(330, seed=1))
    out = _run(tickets)
    status = {s["stage"]: s["status"] for s in out["stages"]}
    assert status["ingest"] == "ran" and status["search"] == "ran"
    reg = next(s for s in out["stages"] if s["stage"] == "register")["outputs"]
    assert reg["version"] == 2
    assert reg["gate"]["gate"] == "significant" and reg["gate"]["test"] == "mcnemar"
    # a significant gate on two near-identical models keeps the champion unless p < 0.05
    assert reg["promoted"] == (reg["gate"]["p_value"] is not None and reg["gate"]["p_value"] < 0.05)
    assess = next(s for s in out["stages"] if s["stage"] == "assess")["outputs"]
    assert assess["champion"]["uri"] == "models:/tickets/1" and 0 <= assess["mcnemar_p"] <= 1


def test_a_few_labels_model_is_never_scored_on_rows_it_trained_on(
    tickets: Path, home: Path
) -> None:
    """Few labels: the search pools every row, the test split included, so assess does not
    score the candidate there and the gate has no paired test to run on it."""
    _run(tickets, "--set", "search.few_labels=10000")
    write_csv(tickets.parent / "data" / "tickets.csv", topic_rows(330, seed=1))
    out = _run(tickets, "--set", "search.few_labels=10000")
    stages = {s["stage"]: s["outputs"] for s in out["stages"]}
    assert stages["search"]["estimate"] == "cv"
    assert stages["assess"]["assessed"] is False and "CV estimate" in stages["assess"]["why"]
    reg = stages["register"]
    assert reg["scored_rows"] == 0 and reg["promoted"] is False
    assert "no shared test split" in reg["why"]


def test_a_failed_stage_resumes_from_itself(tickets: Path, home: Path, tmp_path: Path) -> None:
    sets = [a for o in fast("notify.webhook=http://127.0.0.1:9/hook") for a in ("--set", o)]
    res = runner.invoke(app, ["pipeline", "run", str(tickets), *sets, "--json"])
    assert res.exit_code == 2
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert "stage notify failed" in out["error"] and "notify.webhook" in out["error"]
    assert {s["stage"]: s["status"] for s in out["stages"]}["notify"] == "failed"

    # a webhook that answers: only notify runs
    import http.server
    import threading

    got: list[dict] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *a: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        hook = f"notify.webhook=http://127.0.0.1:{server.server_port}/hook"
        sets = [a for o in fast(hook) for a in ("--set", o)]
        res = runner.invoke(app, ["pipeline", "run", str(tickets), *sets, "--json"])
    finally:
        server.shutdown()
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip().splitlines()[-1])
    ran = [s["stage"] for s in out["stages"] if s["status"] == "ran"]
    assert ran == ["notify"]
    assert got and "models:/tickets/1" in got[0]["text"] and got[0]["pipeline"] == "tickets"


def test_unknown_key_is_an_error_naming_it(tmp_path: Path, home: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: x\nsources: [{path: a.csv}]\nsearch: {timeout: 10, trails: 3}\n")
    res = runner.invoke(app, ["pipeline", "validate", str(path)])
    assert res.exit_code == 2 and "search.trails" in res.output
    path.write_text("name: x\nsources: [{path: a.csv}]\nregistr: {}\n")
    res = runner.invoke(app, ["pipeline", "validate", str(path)])
    assert res.exit_code == 2 and "registr" in res.output
    path.write_text("name: x\nsources: [{path: a.csv, sql: {url: 'sqlite://', query: q}}]\n")
    res = runner.invoke(app, ["pipeline", "validate", str(path)])
    assert res.exit_code == 2 and "exactly one of path, sql, dataset" in res.output


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path: Path, home: Path) -> None:
    """A few lines of anchors and aliases that expand to 10^9 values (1.77 GB once logged as
    JSON): refused by validate and run, with what to do."""
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    indented = "\n".join("      " + line for line in levels)
    path = tmp_path / "bomb.yaml"
    path.write_text(
        "name: bomb\nsources:\n  - path: a.csv\n    storage_options:\n" + indented + "\n"
    )
    for command in (["pipeline", "validate", str(path)], ["pipeline", "run", str(path)]):
        res = runner.invoke(app, command)
        assert res.exit_code == 2, res.output
        assert "aliases" in res.output and "Traceback" not in res.output
    big = tmp_path / "big.yaml"
    big.write_text("name: big\n# " + "x" * (2 << 20) + "\n")
    res = runner.invoke(app, ["pipeline", "validate", str(big)])
    assert res.exit_code == 2 and "bytes" in res.output
    # a few aliases, as people use them, still load
    path.write_text("name: ok\nsources:\n  - &src {path: a.csv, text_col: t}\n  - *src\n")
    from textops._config import safe_yaml

    assert safe_yaml(path.read_text(), "x")["sources"][1]["text_col"] == "t"


def test_validate_checks_without_running(tickets: Path, home: Path) -> None:
    res = runner.invoke(app, ["pipeline", "validate", str(tickets), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["stages"] == ["ingest", "validate", "embed", "search", "assess", "register"]
    assert not (home / "pipelines").exists()


def test_validate_stage_stops_on_a_label_too_rare(tmp_path: Path, home: Path) -> None:
    rows = [*topic_rows(120), ("one lonely refund text", "refund")]
    write_csv(tmp_path / "d.csv", rows)
    path = tmp_path / "p.yaml"
    path.write_text(
        "name: rare\nsources: [{path: d.csv, text_col: body, label_col: queue}]\n"
        "min_rows_per_label: 5\n"
    )
    res = runner.invoke(
        app, ["pipeline", "run", str(path), *[a for o in fast() for a in ("--set", o)]]
    )
    assert res.exit_code == 1
    assert "stage validate failed" in res.output and "refund" in res.output


@pytest.mark.parametrize("stage", ["search"])
def test_only_one_stage_reads_the_ones_before_it(tickets: Path, home: Path, stage: str) -> None:
    res = runner.invoke(app, ["pipeline", "run", str(tickets), "--stage", stage])
    assert res.exit_code == 2 and "has not finished yet" in res.output
    _run(tickets, "--stage", "ingest")
    out = _run(tickets, "--stage", "validate", "--stage", stage)
    assert [s["stage"] for s in out["stages"] if s["status"] == "ran"] == ["validate", stage]


def test_recipes_and_an_llm_classifier_in_a_pipeline(tickets: Path, home: Path) -> None:
    from tests.llm_stub import llm_stub

    with llm_stub() as (url, _):
        extra = [f"llm.endpoint={url}", "llm.model=stub", "llm.per_class=6", "llm.classify=true",
                 "search.recipes=[none,augment,llm]", "search.trials=8"]  # fmt: skip
        sets = [a for o in fast(*extra) for a in ("--set", o)]
        res = runner.invoke(app, ["pipeline", "run", str(tickets), *sets, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip().splitlines()[-1])
    search = next(s for s in out["stages"] if s["stage"] == "search")["outputs"]
    assert {r["recipe"] for r in search["recipes"]} == {"none", "augment", "llm"}
    # each recipe's best trial is kept as a recipe (name, mix, strength), not its repr, in
    # the state a later run reads as well as in what --json printed
    state = json.loads((home / "pipelines" / "tickets" / "state.json").read_text())
    for rows in (search["recipes"], state["stages"]["search"]["outputs"]["recipes"]):
        assert all(r["best"] is None or r["best"]["name"] == r["recipe"] for r in rows), rows
    assess = next(s for s in out["stages"] if s["stage"] == "assess")["outputs"]
    assert assess["llm"]["model"] == "stub" and 0 <= assess["llm"]["accuracy"] <= 1
    bad = tickets.parent / "bad.yaml"
    bad.write_text(tickets.read_text() + "\n")
    res = runner.invoke(app, ["pipeline", "validate", str(bad), "--set", "search.recipes=[llm]"])
    assert res.exit_code == 2 and "add an llm section" in res.output
