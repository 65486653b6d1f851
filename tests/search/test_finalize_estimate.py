"""The time kept free for finalising: the winner's head refit, scaled from its CV folds, and
the refit of an embedder fitted on data (TF-IDF), once."""

from __future__ import annotations

from typing import Any

import optuna
import pytest

from textops.model import HEADS
from textops.search._budget import finalize_estimate, finalize_fixed_seconds

FIXED = finalize_fixed_seconds(800)


def _study(**attrs: Any) -> optuna.Study:
    study = optuna.create_study(direction="maximize")
    base = {"cv_scores": [0.9, 0.9, 0.9], "fit_seconds": 3.0, "embedder": "tfidf"}
    study.add_trial(
        optuna.trial.create_trial(
            value=0.9, user_attrs={**base, **attrs}, params={}, distributions={}
        )
    )
    return study


def test_nothing_to_finalise_before_a_trial_completes() -> None:
    assert finalize_estimate(optuna.create_study(), n_train=600, n_refit=800) is None


def test_head_refit_scales_with_the_rows_the_solver_and_calibration_folds() -> None:
    # 3 folds: a fold fit on 400 rows took 1 s; the refit is on 800 rows -> 2 s
    plain = finalize_estimate(_study(head="knn"), n_train=600, n_refit=800)
    assert plain == pytest.approx(FIXED + 2.0)
    # on TF-IDF, CV fitted logistic regression by its own L-BFGS, which alone (as the refit
    # runs) is no faster than the deployed solver: the fit as it was
    assert HEADS["logreg"].cv_speedup == 1.0
    logreg = finalize_estimate(_study(head="logreg"), n_train=600, n_refit=800)
    assert logreg == pytest.approx(FIXED + 2.0)
    # on embeddings, with the deployed solver (sklearn's lbfgs): the fit as it was
    dense_lr = finalize_estimate(_study(head="logreg", embedder="fake"), n_train=600, n_refit=800)
    assert dense_lr == pytest.approx(FIXED + 2.0)
    # on TF-IDF, the SVM's CV used the deployed solver (liblinear): calibration only
    calibrated = finalize_estimate(_study(head="linear_svm"), n_train=600, n_refit=800)
    assert calibrated == pytest.approx(FIXED + 6.0)
    dense = finalize_estimate(_study(head="linear_svm", embedder="fake"), n_train=600, n_refit=800)
    assert dense == pytest.approx(FIXED + 6.0 * HEADS["linear_svm"].cv_speedup)


def test_an_embedder_fitted_on_data_is_refitted_once() -> None:
    # its slowest fold (400 rows) took 1.5 s -> 3 s on 800, not tripled by calibration
    est = finalize_estimate(
        _study(head="linear_svm", embed_fit_seconds=1.5), n_train=600, n_refit=800
    )
    assert est == pytest.approx(FIXED + 6.0 + 3.0)


def test_a_transformer_model_load_counts_its_import_only_before_torch_is_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    from textops.search import _budget

    study = _study(head="knn", embedder="minilm")
    monkeypatch.setitem(sys.modules, "torch", object())
    warm = finalize_estimate(study, n_train=600, n_refit=800)
    assert warm == pytest.approx(FIXED + 2.0 + _budget.WARM_MODEL_LOAD_S)
    monkeypatch.delitem(sys.modules, "torch")
    cold = finalize_estimate(study, n_train=600, n_refit=800)
    assert cold == pytest.approx(FIXED + 2.0 + _budget.MODEL_LOAD_S)


def _timed_study(head: str, seconds: float) -> optuna.Study:
    import datetime as dt

    study = optuna.create_study(direction="maximize")
    end = dt.datetime.now()
    study.add_trial(
        optuna.trial.FrozenTrial(
            number=0,
            state=optuna.trial.TrialState.COMPLETE,
            value=0.9,
            values=None,
            datetime_start=end - dt.timedelta(seconds=seconds),
            datetime_complete=end,
            params={},
            distributions={},
            user_attrs={"head": head, "embedder": "fake"},
            system_attrs={},
            intermediate_values={},
            trial_id=0,
        )
    )
    return study


@pytest.mark.parametrize(("head", "stops"), [("logreg", True), ("setfit", False)])
def test_a_trained_heads_long_trial_does_not_stop_the_other_heads(head: str, stops: bool) -> None:
    from textops.search._budget import Budget

    study = _timed_study(head, seconds=20.0)
    stopped: list[bool] = []
    study.stop = lambda: stopped.append(True)  # type: ignore[method-assign]
    # 10 s left: a typical 20 s trial does not fit; a trained one is not typical (it checks
    # its own time before it loads a model)
    Budget.start(10.0).stop_callback()(study, study.trials[0])
    assert bool(stopped) == stops
