"""The objective's budget check: a trial that cannot finish in time is pruned, not run."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import optuna
import pytest
from optuna.distributions import CategoricalDistribution

from textops.embed import EmbeddingCache
from textops.embed._encode import text_keys
from textops.search._budget import Budget
from textops.search._data import SearchData, Split
from textops.search._objective import Objective

TEXTS = [f"{w} number {i}" for i in range(30) for w in ("cash prize", "lunch meeting")]
LABELS = ["spam", "ham"] * 30


@dataclass(frozen=True)
class _FixedReserve(Budget):
    """30 s left, and finalising the winner so far estimated at ``fixed`` seconds."""

    fixed: float | None = None

    def reserve(self, study: optuna.Study) -> float | None:
        return self.fixed


def _objective(home: Path, reserve: float | None, validation: bool = False) -> Objective:
    # the MLP trains epoch by epoch (and can stop between epochs) with a validation split
    val = Split(TEXTS[:12], LABELS[:12], text_keys(TEXTS[:12])) if validation else Split([], [], [])
    train = Split(TEXTS, LABELS, text_keys(TEXTS))
    return Objective(
        data=SearchData(train, val, Split([], [], []), TEXTS, text_keys(TEXTS)),
        embedders=["fake"],
        heads=["logreg"],
        latency_ms={"fake": 0.1},
        folds=3,
        seed=0,
        multi=False,
        cache=EmbeddingCache(home=home),
        budget=_FixedReserve(time.time() + 30, time.time(), fixed=reserve),
    )


def _study_with_one_completed_trial() -> optuna.Study:
    study = optuna.create_study(direction="maximize")
    study.add_trial(
        optuna.trial.create_trial(
            params={"embedder": "fake"},
            distributions={"embedder": CategoricalDistribution(["fake"])},
            value=0.5,
        )
    )
    return study


@pytest.mark.parametrize(("reserve", "state"), [(5.0, "COMPLETE"), (60.0, "PRUNED")])
def test_trial_runs_only_when_finalising_still_fits(
    tmp_path: Path, reserve: float, state: str
) -> None:
    study = _study_with_one_completed_trial()
    obj = _objective(tmp_path, reserve)
    obj._fold_seconds["fake", "logreg"] = [1.0]  # a fold of this kind took 1 s before
    study.optimize(obj, n_trials=1)
    last = study.trials[-1]
    assert last.state.name == state
    assert (last.user_attrs.get("stopped") == "budget") == (state == "PRUNED")


@pytest.mark.parametrize(("slowest", "state"), [(1.0, "COMPLETE"), (20.0, "PRUNED")])
def test_a_kind_not_run_yet_is_taken_as_slow_as_the_slowest_so_far(
    tmp_path: Path, slowest: float, state: str
) -> None:
    study = _study_with_one_completed_trial()
    obj = _objective(tmp_path, 5.0)
    obj._fold_seconds["fake", "knn"] = [slowest]  # logreg has no history; 3 folds of this
    study.optimize(obj, n_trials=1)
    assert study.trials[-1].state.name == state


@pytest.mark.parametrize(
    ("best_so_far", "its_folds", "state"),
    [
        (0.5, None, "COMPLETE"),
        (1.01, None, "PRUNED"),
        # behind on the same fold, though ahead of its mean over all folds: not a lead
        (0.5, [1.0, 0.25, 0.25], "PRUNED"),
    ],
)
def test_a_trial_that_leads_on_its_folds_is_scored_on_them_when_the_rest_cannot_fit(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    best_so_far: float,
    its_folds: list[float] | None,
    state: str,
) -> None:
    study = optuna.create_study(direction="maximize")
    study.add_trial(
        optuna.trial.create_trial(
            params={"embedder": "fake"},
            distributions={"embedder": CategoricalDistribution(["fake"])},
            value=best_so_far,
            user_attrs={} if its_folds is None else {"cv_scores": its_folds},
        )
    )
    obj = _objective(tmp_path, 5.0)
    # it fits when it starts; after its first fold the other two need more than is left
    monkeypatch.setattr(obj, "_seconds_needed", lambda kind, started, done: 100.0 * done)
    study.optimize(obj, n_trials=1)
    last = study.trials[-1]
    assert last.state.name == state
    if state == "COMPLETE":  # it beat the complete trial on its one fold: scored on that fold
        assert last.user_attrs["cv_folds_run"] == 1 and last.values[0] > best_so_far
        assert "led on 1 of 3 folds" in last.user_attrs["stopped_reason"]
    else:  # behind: traded for other trials, as before
        assert last.user_attrs["stopped"] == "budget" and "cv_folds_run" not in last.user_attrs


def test_no_winner_yet_means_never_stopped(tmp_path: Path) -> None:
    study = optuna.create_study(direction="maximize")
    obj = _objective(tmp_path, None)  # nothing completed: no estimate, no stop
    obj._fold_seconds["fake", "logreg"] = [1000.0]
    study.optimize(obj, n_trials=1)
    assert study.trials[-1].state.name == "COMPLETE"


@pytest.mark.parametrize("head", ["lightgbm", "mlp"])
def test_a_head_that_trains_in_rounds_stops_when_the_time_is_up(tmp_path: Path, head: str) -> None:
    from textops.search._budget import OutOfTimeError

    obj = _objective(tmp_path, None, validation=True)
    with pytest.raises(OutOfTimeError):
        obj._fold("fake", head, {}, False, 0, stop_at=time.time() - 1)
    score = obj._fold("fake", head, {}, False, 0, stop_at=time.time() + 600).macro_f1
    assert 0.0 <= score <= 1.0  # time left: the same fit runs to the end


def test_k_neighbours_above_a_folds_rows_are_lowered_to_them(tmp_path: Path) -> None:
    obj = _objective(tmp_path, None)
    obj.heads["fake"] = ["knn"]
    study = optuna.create_study(direction="maximize")
    study.enqueue_trial({"embedder": "fake", "head.fake": "knn", "knn.n_neighbors": 50})
    study.optimize(obj, n_trials=1)
    trial = study.trials[0]
    assert trial.state.name == "COMPLETE"  # 50 neighbours of 40 training rows would raise
    assert trial.user_attrs["params"]["n_neighbors"] == 40  # 3 folds of 60 rows


def test_a_kind_the_plan_ruled_out_is_skipped_before_it_fits(tmp_path: Path) -> None:
    study = _study_with_one_completed_trial()
    obj = _objective(tmp_path, 5.0)
    obj.ruled_out = {("fake", "logreg"): "fake + logreg: not encoded (its fine-tune's time)"}
    study.optimize(obj, n_trials=1)
    last = study.trials[-1]
    assert last.state.name == "PRUNED" and last.user_attrs["stopped"] == "ruled_out"
    assert "fit_seconds" in last.user_attrs and last.user_attrs["fit_seconds"] == 0.0
