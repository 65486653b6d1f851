"""Feature statistics equal scipy's and statsmodels' on fixed data; effect sizes follow their
formulas; the report, the CLI and an EBM's global importances."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from typer.testing import CliRunner

from textops.explain import feature_statistics

RNG = np.random.default_rng(0)
A = RNG.normal(10.0, 2.0, 40)
B = RNG.normal(11.5, 3.0, 30)
C = RNG.normal(10.5, 1.0, 25)


def test_two_classes_match_scipy_and_the_textbook_effect_sizes() -> None:
    noise = RNG.normal(0, 1, 70)
    values = np.column_stack([np.concatenate([A, B]), noise])
    labels = ["ai"] * 40 + ["human"] * 30
    first, second = feature_statistics(values, ["f", "noise"], labels, reference="human")
    (p,) = first.pairs
    assert (p.a, p.b) == ("ai", "human")
    t = stats.ttest_ind(A, B, equal_var=False)
    u = stats.mannwhitneyu(A, B, alternative="two-sided")
    assert (p.welch_t, p.welch_p) == pytest.approx((t.statistic, t.pvalue), rel=1e-12)
    assert (p.mannwhitney_u, p.mannwhitney_p) == pytest.approx((u.statistic, u.pvalue))
    (q,) = second.pairs
    holm = multipletests([p.welch_p, q.welch_p], method="holm")[1]
    assert [p.welch_p_holm, q.welch_p_holm] == pytest.approx(list(holm))
    sa, sb = A.std(ddof=1), B.std(ddof=1)
    pooled = math.sqrt((39 * sa**2 + 29 * sb**2) / 68)
    assert p.cohens_d == pytest.approx((A.mean() - B.mean()) / pooled)
    assert p.glass_delta == pytest.approx((A.mean() - B.mean()) / sb)
    s = first.classes["human"]
    assert (s.n, s.mean, s.sd, s.median) == pytest.approx((30, B.mean(), sb, np.median(B)))
    assert first.kruskal_p is None  # two classes: the pair's tests say it all


def test_three_classes_add_kruskal_wallis_and_every_pair() -> None:
    values = np.concatenate([A, B, C])[:, None]
    labels = ["a"] * 40 + ["b"] * 30 + ["c"] * 25
    (fs,) = feature_statistics(values, ["f"], labels)
    kw = stats.kruskal(A, B, C)
    assert (fs.kruskal_h, fs.kruskal_p) == pytest.approx((kw.statistic, kw.pvalue))
    assert fs.kruskal_p_holm == pytest.approx(kw.pvalue)  # a family of one
    assert [(p.a, p.b) for p in fs.pairs] == [("a", "b"), ("a", "c"), ("b", "c")]
    raw = [p.mannwhitney_p for p in fs.pairs]
    assert [p.mannwhitney_p_holm for p in fs.pairs] == pytest.approx(
        list(multipletests(raw, method="holm")[1])
    )


def test_undefined_and_constant_values_give_no_test_not_an_error() -> None:
    values = np.array(
        [[np.nan, 1.0], [2.0, 1.0], [3.0, 1.0], [np.nan, 1.0], [5.0, 1.0], [6.0, 1.0]]
    )
    labels = ["x", "x", "x", "y", "y", "y"]
    flow, const = feature_statistics(values, ["flow", "const"], labels)
    assert flow.classes["x"].n == 2 and flow.classes["y"].n == 2
    assert math.isfinite(flow.pairs[0].welch_p)
    assert math.isnan(const.pairs[0].welch_p) and math.isnan(const.pairs[0].cohens_d)
    assert const.as_json()["pairs"][0]["welch_p"] is None  # JSON has no NaN


def test_stats_command_json_and_html(topics: object, tmp_path: Path) -> None:
    from textops.cli import app

    page = tmp_path / "stats.html"
    res = CliRunner().invoke(
        app, ["stats", "topics", "--features", "linguistic", "--json", "--html", str(page)]
    )
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["split"] == "train" and set(report["counts"]) == {"money", "sport", "tech"}
    names = [f["feature"] for f in report["features"]]
    assert {"gunning_fog", "smog_index", "lexical_density", "sentence_length_variance"} <= set(
        names
    )
    first = report["features"][0]
    assert len(first["pairs"]) == 3 and first["kruskal_p_holm"] is not None
    html = page.read_text()
    assert "data:image/png;base64," in html and "Kruskal-Wallis" in html
    bad = CliRunner().invoke(app, ["stats", "topics", "--features", "syntax"])
    assert bad.exit_code == 2 and "features: unknown syntax" in bad.output
    bad = CliRunner().invoke(app, ["stats", "topics", "--reference", "weather"])
    assert bad.exit_code == 2 and "reference: 'weather'" in bad.output


def test_long_labels_stay_apart_in_the_table(home: Path) -> None:
    """Two labels sharing a long prefix were cut to one name in the pair column; now they get
    letters and a legend."""
    from tests.conftest import topic_rows
    from textops.cli import app
    from textops.data import MemorySource, ingest

    names = {"sport": "customer_support_billing_refund_request",
             "money": "customer_support_billing_refund_status", "tech": "tech"}  # fmt: skip
    rows = [(t, names[lab]) for t, lab in topic_rows(150)]
    ingest([MemorySource("long", rows)], "long", home=home)
    res = CliRunner().invoke(app, ["stats", "long", "--features", "linguistic", "--top", "30"])
    assert res.exit_code == 0, res.output
    legend = next(line for line in res.output.splitlines() if line.startswith("labels: "))
    assert "A = customer_support_billing_refund_request" in legend
    assert "B = customer_support_billing_refund_status" in legend and "C = tech" in legend
    pairs = {line[27:].split("  ")[0] for line in res.output.splitlines()[3:] if " vs " in line}
    assert pairs <= {"A vs B", "A vs C", "B vs C"} and len(pairs) == 3


@pytest.mark.integration
def test_semantic_flow_is_higher_for_texts_that_stay_on_topic() -> None:
    from textops.embed import semantic_flow

    flow = semantic_flow(
        [
            "The striker scored a goal. The team won the match. Fans cheered the football side.",
            "The striker scored a goal. Bond yields rose sharply. My laptop needs an update.",
            "Only one sentence here",
        ],
        show_progress=False,
    )
    assert flow[0] > flow[1] and math.isnan(flow[2])


def test_ebm_global_importances_name_the_features() -> None:
    pytest.importorskip("interpret")
    from tests.explain.conftest import fit_classifier
    from textops.errors import ConfigError
    from textops.explain import ebm_importances, importances_png

    rows = [("WIN CASH NOW!!! 12345", "spam") if i % 2 else ("see you at lunch", "ham")
            for i in range(60)]  # fmt: skip
    clf = fit_classifier("linguistic", "ebm", rows)
    terms = ebm_importances(clf)
    assert terms[0][1] >= terms[-1][1] >= 0
    assert {t for t, _ in terms} & {"upper_ratio", "digit_ratio", "exclaim_ratio", "n_chars"}
    assert not any(t.startswith("feature_") for t, _ in terms)
    assert importances_png(terms)[:4] == b"\x89PNG"
    with pytest.raises(ConfigError, match="--global needs an EBM"):
        ebm_importances(fit_classifier("tfidf", "logreg", rows))
