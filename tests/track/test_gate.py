"""The promotion gate: a challenger better by chance is promoted by `better` and refused by
`significant`; a clearly better one passes both tests; decisions land in the registry's tags
and the run; the search and `models promote` take the gate."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from statsmodels.stats.contingency_tables import mcnemar
from typer.testing import CliRunner

from textops._json import to_json
from textops.cli import app
from textops.data import Dataset
from textops.search import SearchConfig, run_search
from textops.track import (
    Gate,
    MlflowTracker,
    ModelRegistry,
    PairedPredictions,
    default_tracking_uri,
)
from textops.track._gate import decide


def _paired(n: int, old_acc: float, new_acc: float, seed: int = 0) -> PairedPredictions:
    rng = random.Random(seed)
    y = [rng.choice("abc") for _ in range(n)]

    def model(acc: float) -> list[str]:
        return [v if rng.random() < acc else rng.choice([o for o in "abc" if o != v]) for v in y]

    return PairedPredictions(y, model(new_acc), model(old_acc))


def _decide(gate: Gate, p: PairedPredictions):  # type: ignore[no-untyped-def]
    return decide(gate, p.macro_f1("challenger"), p.macro_f1("champion"), p)


@pytest.mark.parametrize("test", ["mcnemar", "bootstrap"])
def test_a_win_by_chance_is_promoted_by_better_and_refused_by_significant(test: str) -> None:
    lucky = _paired(400, 0.80, 0.81, seed=3)
    assert lucky.macro_f1("challenger") > lucky.macro_f1("champion")
    assert _decide(Gate(mode="better"), lucky).promote
    refused = _decide(Gate(mode="significant", test=test), lucky)  # type: ignore[arg-type]
    assert not refused.promote and refused.p_value is not None and refused.p_value >= 0.05
    assert "not significantly better" in refused.reason
    clear = _paired(400, 0.70, 0.90, seed=4)
    passed = _decide(Gate(mode="significant", test=test), clear)  # type: ignore[arg-type]
    assert passed.promote and passed.p_value is not None and passed.p_value < 0.01


def test_the_gate_asks_one_sided_whether_the_challenger_is_better() -> None:
    """The gate's McNemar is the exact one-sided binomial test on the discordant rows (is the
    challenger better?); mcnemar_test's default stays statsmodels' two-sided (do they differ?)."""
    from scipy.stats import binomtest

    from textops.track import mcnemar_test

    p = _paired(300, 0.75, 0.78, seed=1)
    d = _decide(Gate(mode="significant"), p)
    c = d.counts
    table = [[c["both_right"], c["only_challenger_right"]],
             [c["only_champion_right"], c["both_wrong"]]]  # fmt: skip
    assert sum(c.values()) == 300
    discordant = c["only_challenger_right"] + c["only_champion_right"]
    one_sided = binomtest(c["only_challenger_right"], discordant, 0.5, alternative="greater")
    assert d.p_value == pytest.approx(one_sided.pvalue)
    assert mcnemar_test(p)[0] == pytest.approx(mcnemar(table, exact=False, correction=True).pvalue)
    few = PairedPredictions(["a"] * 10, ["a"] * 9 + ["b"], ["b"] * 3 + ["a"] * 7)
    d = _decide(Gate(mode="significant"), few)
    assert d.p_value == pytest.approx(binomtest(3, 4, alternative="greater").pvalue)
    assert mcnemar_test(few)[0] == pytest.approx(mcnemar([[6, 3], [1, 0]], exact=True).pvalue)


def test_a_challenger_right_alone_less_often_is_called_worse() -> None:
    """Right alone on 4 rows against the champion's 11: "worse", with the one-sided p (near
    1), not "not significantly better (p=0.1185)", the two-sided p of a difference."""
    y = ["a"] * 40
    new = ["a"] * 4 + ["b"] * 11 + ["a"] * 25
    old = ["b"] * 4 + ["a"] * 11 + ["a"] * 25
    d = _decide(Gate(mode="significant"), PairedPredictions(y, new, old))
    assert not d.promote and d.reason.startswith("worse than the champion")
    assert "right alone on 4 rows, the champion on 11" in d.reason
    assert d.p_value is not None and d.p_value > 0.9


def test_a_worse_challenger_is_refused_even_when_the_difference_is_significant() -> None:
    worse = _paired(400, 0.90, 0.70, seed=5)
    for test in ("mcnemar", "bootstrap"):
        d = _decide(Gate(mode="significant", test=test), worse)  # type: ignore[arg-type]
        assert not d.promote


def test_gate_none_and_no_champion() -> None:
    worse = _paired(100, 0.9, 0.5)
    assert _decide(Gate(mode="none"), worse).promote
    assert decide(Gate(mode="significant"), 0.5, None).reason == "no champion yet"
    assert not decide(Gate(mode="significant"), 0.9, 0.5, None).promote  # nothing to test on


def test_search_and_promote_record_the_gate_decision(topics: Dataset, home: Path) -> None:
    reports = []
    for study, head in (("g1", "logreg"), ("g2", "knn")):
        cfg = SearchConfig(dataset="topics", embedders=("fake",), heads=(head,), trials=2,
                           cv_folds=2, study=study, gate="significant")  # fmt: skip
        reports.append(to_json(run_search(cfg, home=home, tracker=MlflowTracker(home=home))))
    uri = default_tracking_uri(home)
    registry = ModelRegistry(uri)
    v2 = next(v for v in registry.versions("topics") if v.version == 2)
    tags = v2.tags
    assert tags["textops.gate"] == "significant" and tags["textops.gate_test"] == "mcnemar"
    p = float(tags["textops.gate_p_value"])
    counts = json.loads(tags["textops.gate_counts"])
    wins = p < 0.05 and counts["only_challenger_right"] > counts["only_champion_right"]
    assert tags["textops.gate_decision"] == ("promoted" if wins else "refused")
    assert ("champion" in v2.aliases) == wins
    run = MlflowTracker(home=home).client.get_run(v2.run_id)
    assert run.data.tags["textops.gate_decision"] == tags["textops.gate_decision"]
    assert run.data.metrics["gate_p_value"] == pytest.approx(p)
    assert reports[1]["comparison"]["gate"]["p_value"] == pytest.approx(p)

    runner = CliRunner()
    env = {"TEXTOPS_HOME": str(home)}
    res = runner.invoke(app, ["models", "promote", "topics", "2", "--gate", "significant",
                              "--tracking-uri", uri, "--json"], env=env)  # fmt: skip
    out = json.loads(res.stdout)
    assert out["gate"]["test"] == "mcnemar" and out["gate"]["p_value"] == pytest.approx(p)
    assert res.exit_code == (0 if out["promoted"] else 1)
    res = runner.invoke(app, ["models", "promote", "topics", "1", "--gate", "none",
                              "--tracking-uri", uri], env=env)  # fmt: skip
    assert res.exit_code == 0 and "champion is now v1" in res.stdout
    bad = runner.invoke(app, ["models", "promote", "topics", "2", "--gate", "maybe",
                              "--tracking-uri", uri], env=env)  # fmt: skip
    assert bad.exit_code == 2 and "--gate" in bad.output
