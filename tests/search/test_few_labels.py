"""Few labels: every labelled row pooled, chosen and estimated by repeated stratified CV (with
its interval), the winner refitted on all rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pytest
from scipy import stats

from tests.conftest import topic_rows
from textops._json import to_json
from textops.search import DEFAULT_HEADS, SearchConfig, run_search
from textops.search._scores import brier_score, cv_estimate
from textops.search._study import make_storage
from textops.search._winner import pick_winner
from textops.track import MemoryTracker


def test_cv_estimate_uses_the_corrected_resampled_variance() -> None:
    scores = [0.8, 0.7, 0.9, 0.75, 0.85, 0.8]
    got = cv_estimate(scores, 60, folds=3, repeats=2)
    s = np.array(scores)
    half = stats.t.ppf(0.975, 5) * np.sqrt((1 / 6 + 1 / 2) * s.var(ddof=1))
    assert got.macro_f1 == pytest.approx(s.mean())
    assert got.macro_f1_ci95 == pytest.approx((s.mean() - half, s.mean() + half))
    assert got.estimate == "cv" and got.repeats == 2 and got.n == 60
    assert to_json(got)["macro_f1_ci95"] == pytest.approx([s.mean() - half, s.mean() + half])


@pytest.fixture
def few(home: Path):  # type: ignore[no-untyped-def]
    from textops.data import MemorySource, ingest

    return ingest([MemorySource("few", topic_rows(48))], "few", home=home)


def test_few_labels_pool_every_row_and_report_the_cv_estimate(few: object, home: Path) -> None:
    cfg = SearchConfig(dataset="few", embedders=("fake",), heads=("logreg",), trials=3, cv_folds=4)
    report = run_search(cfg, home=home, tracker=MemoryTracker())
    test = to_json(report)["test"]  # what --json prints
    assert test["estimate"] == "cv" and test["n"] == 48  # train, validation and test rows
    assert test["fold_scores"] == 4 * cfg.cv_repeats
    lo, hi = test["macro_f1_ci95"]
    assert lo <= test["macro_f1"] <= hi
    assert test["macro_f1"] == pytest.approx(report.best.cv_macro_f1)


def test_few_labels_run_the_portfolio_only_with_the_few_label_heads_by_default(
    few: object, home: Path
) -> None:
    from textops.search import FEW_LABEL_HEADS

    # no --heads: the few-labels defaults; no trial bound but the budget: still only the
    # portfolio (logreg on each embedder; setfit takes neither of these embedders)
    cfg = SearchConfig(dataset="few", embedders=("fake", "tfidf"), timeout=120, cv_folds=3)
    report = run_search(cfg, home=home, tracker=MemoryTracker())
    study = optuna.load_study(study_name=report.study, storage=make_storage(None, home))
    assert study.user_attrs["space"]["heads"] == sorted(FEW_LABEL_HEADS)
    kinds = [(t.params["embedder"], t.user_attrs["head"]) for t in study.trials]
    assert sorted(kinds) == [("fake", "logreg"), ("tfidf", "logreg")]
    assert all(t.user_attrs["params"]["C"] == 10.0 for t in study.trials)
    # the same search with more data keeps the general defaults (with a time budget, the
    # fine-tune its plan may find time for)
    assert SearchConfig(dataset="d", trials=5).head_keys == DEFAULT_HEADS
    assert SearchConfig(dataset="d").head_keys == (*DEFAULT_HEADS, "finetune")


def test_a_threshold_of_zero_keeps_the_splits(few: object, home: Path) -> None:
    cfg = SearchConfig(
        dataset="few", embedders=("fake",), heads=("logreg",), trials=2, cv_folds=3, few_labels=0
    )
    report = run_search(cfg, home=home, tracker=MemoryTracker())
    test = to_json(report)["test"]
    assert "estimate" not in test and test["n"] < 48 and "latency_ms_per_text" in test


def test_trained_heads_run_one_round_of_folds_with_few_labels(
    few: object, home: Path, tiny_bert: Path
) -> None:
    cfg = SearchConfig(
        dataset="few",
        embedders=("minilm",),
        heads=("setfit",),
        trials=1,
        cv_folds=3,
        head_options={"model": str(tiny_bert), "iterations": 2},
        device="cpu",
    )
    report = run_search(cfg, home=home, tracker=MemoryTracker())
    assert report.best.head == "setfit"
    assert report.test.n == 48 and to_json(report)["test"]["fold_scores"] == 3  # one round
    study = optuna.load_study(study_name=report.study, storage=make_storage(None, home))
    brier = study.trials[0].user_attrs["cv_brier"]  # its held-out probabilities, fold by fold
    assert 0.0 <= brier <= 2.0


def test_brier_score_matches_sklearn_for_two_labels() -> None:
    from sklearn.metrics import brier_score_loss

    y = np.array(["a", "b", "b", "a"], dtype=object)
    p_b = np.array([0.1, 0.8, 0.4, 0.6])
    proba = np.column_stack([1 - p_b, p_b])
    # the multi-class form sums over both columns: twice sklearn's binary one
    expected = 2 * brier_score_loss(y == "b", p_b)
    assert brier_score(y, proba, np.array(["a", "b"], dtype=object)) == pytest.approx(expected)
    # a label the model never saw: all its probability mass is wrong, plus 1
    assert brier_score(np.array(["c"]), np.array([[0.5, 0.5]]), np.array(["a", "b"])) == 1.5


def test_cv_ties_go_to_the_lowest_held_out_brier_then_the_earliest() -> None:
    study = optuna.create_study(direction="maximize")
    dist = {"x": optuna.distributions.FloatDistribution(0, 1)}
    for value, brier in [(0.9, 0.1), (1.0, None), (1.0, 0.3), (1.0, 0.2), (1.0, 0.2)]:
        attrs = {} if brier is None else {"cv_brier": brier}
        study.add_trial(
            optuna.trial.create_trial(
                params={"x": 0.5}, distributions=dist, value=value, user_attrs=attrs
            )
        )
    best, _ = pick_winner(study, SearchConfig(dataset="d"))
    assert best.number == 3  # of the trials at 1.0, the lowest Brier score, first of two
