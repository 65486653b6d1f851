"""Trained heads inside the search: picked when told to, tracked epoch by epoch, registered,
reloaded, served and exported to ONNX like any model; pruned after an epoch; never started
when the budget cannot hold them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pytest

from tests.conftest import SPAM_LABELS, SPAM_TEXTS, Registered, topic_rows
from textops.model import EpochRecord
from textops.search._budget import Budget
from textops.search._trained_trial import run_trained_trial
from textops.search._trial_hooks import EPOCH_STEP, SAVE_SECONDS, TrialHooks


@pytest.fixture(scope="module")
def finetuned(tmp_path_factory: pytest.TempPathFactory, tiny_bert: Path) -> Iterator[Registered]:
    from textops.data import MemorySource, ingest
    from textops.search import SearchConfig, run_search
    from textops.track import MlflowTracker, default_tracking_uri

    home = tmp_path_factory.mktemp("finetune-home")
    # 120 rows per label: kept as train / validation / test (fewer would be pooled)
    ingest([MemorySource("topics", topic_rows(360))], "topics", home=home)
    cfg = SearchConfig(
        dataset="topics",
        embedders=("minilm",),
        heads=("finetune",),
        trials=2,
        head_options={"model": str(tiny_bert), "lr": 2e-3, "epochs": 3, "max_length": 32},
        device="cpu",
    )
    report = run_search(cfg, home=home, tracker=MlflowTracker(home=home), show_progress=False)
    assert report.best.head == "finetune" and report.model_version is not None
    yield Registered(home, default_tracking_uri(home), "topics", (int(report.model_version),))


def test_search_trains_tracks_epochs_and_registers_a_finetune(finetuned: Registered) -> None:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=finetuned.tracking_uri)
    mv = client.get_model_version("topics", str(finetuned.versions[0]))
    assert mv.tags["textops.head"] == "finetune"
    trials = client.search_runs(
        [client.get_run(mv.run_id).info.experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{mv.run_id}'",
    )
    assert len(trials) == 2
    for run in trials:
        history = client.get_metric_history(run.info.run_id, "val_macro_f1")
        losses = client.get_metric_history(run.info.run_id, "train_loss")
        assert [m.step for m in history] == list(range(1, len(history) + 1))
        assert len(losses) == len(history) >= 1
    assert client.get_run(mv.run_id).data.metrics["test_macro_f1"] > 0.5


def test_registered_finetune_loads_serves_and_exports_to_onnx(finetuned: Registered) -> None:
    from textops.serve import export_onnx, load_served_model
    from textops.track import load_classifier

    uri = f"models:/topics/{finetuned.versions[0]}"
    clf, _ = load_classifier(uri, finetuned.tracking_uri)
    assert clf.embedder_key == "finetuned"
    texts = ["bank loan rate price", "goal team match", "code laptop server"]
    served = load_served_model(uri, finetuned.tracking_uri, backend="torch")
    np.testing.assert_allclose(served.predict_proba(texts), clf.predict_proba(texts), atol=1e-6)
    report = export_onnx(uri, tracking_uri=finetuned.tracking_uri, home=finetuned.home)
    assert report.fp32 is not None and report.fp32.min_cosine >= 0.999
    assert report.fp32.label_agreement == 1.0
    onnx = load_served_model(uri, finetuned.tracking_uri)
    assert onnx.backend == "onnx-fp32"
    np.testing.assert_allclose(onnx.predict_proba(texts), clf.predict_proba(texts), atol=1e-4)


def test_a_finetune_is_pruned_after_its_first_epoch() -> None:
    from optuna.pruners import MedianPruner
    from optuna.trial import create_trial

    study = optuna.create_study(direction="maximize", pruner=MedianPruner(n_startup_trials=2))
    for value in (0.9, 0.92, 0.95):
        study.add_trial(create_trial(value=value, intermediate_values={EPOCH_STEP + 1: value}))
    trial = study.ask()
    hooks = TrialHooks(trial, Budget.start(None), None, 1.25, "minilm + finetune")
    hooks.epoch_end(EpochRecord(1, 0.3, 0.95, 1.0))  # as good as the others: goes on
    trial2 = study.ask()
    hooks2 = TrialHooks(trial2, Budget.start(None), None, 1.25, "minilm + finetune")
    with pytest.raises(optuna.TrialPruned, match="after epoch 1"):
        hooks2.epoch_end(EpochRecord(1, 0.9, 0.2, 1.0))


def test_a_budget_too_small_stops_a_finetune_after_its_timed_batches(tiny_bert: Path) -> None:
    study = optuna.create_study(direction="maximize")
    trial = study.ask()
    # the refit and the model's saving alone need longer than the budget
    hooks = TrialHooks(trial, Budget.start(2.0), None, 1.25, "minilm + finetune")
    with pytest.raises(optuna.TrialPruned, match="does not fit"):
        run_trained_trial(
            "finetune",
            {"model": str(tiny_bert), "epochs": 3, "batch_size": 4},
            train=(SPAM_TEXTS, SPAM_LABELS),
            validation=(SPAM_TEXTS[:6], SPAM_LABELS[:6]),
            hooks=hooks,
            seed=0,
            runtime={"device": "cpu"},
        )
    assert trial.user_attrs["stopped"] == "budget"
    assert "does not fit" in trial.user_attrs["stopped_reason"]
    assert hooks.records == []  # no epoch ran: stopped after the timed batches


def test_epochs_are_capped_to_what_fits_with_the_refit() -> None:
    hooks = TrialHooks(None, Budget.start(100.0), None, 1.0, "k")
    # an epoch of 10 s and its refit of 10 s each, plus saving: 4 epochs fit in 100 s
    assert hooks.epochs_that_fit(10.0) == 4
    assert TrialHooks(None, Budget.start(None), None, 1.0, "k").epochs_that_fit(1e6) > 1000


def test_finalising_counts_encoding_the_test_split_and_the_reference_with_the_new_encoder() -> None:
    # 300 texts an epoch in 10 s: an inference pass is a third of a training one, so 1,800
    # texts for finalising to encode take 20 s more: 3 epochs fit in 100 s instead of 4
    hooks = TrialHooks(
        None, Budget.start(100.0), None, 1.0, "k", train_texts=300, finalize_texts=1800
    )
    assert hooks.after_refit_seconds(10.0) == pytest.approx(20.0 + SAVE_SECONDS)
    assert hooks.epochs_that_fit(10.0) == 3
    hooks.seconds_per_sample, hooks.samples = 10.0 / 300, 300
    assert hooks.refit_seconds(2) == pytest.approx(20.0 + 20.0 + SAVE_SECONDS)
    # whole epochs measured slower than the first batches' pace: the refit is timed by them
    hooks.records = [EpochRecord(1, 0.5, 0.8, 15.0), EpochRecord(2, 0.4, 0.9, 15.0)]
    assert hooks.refit_seconds(2) == pytest.approx(30.0 + 30.0 + SAVE_SECONDS)


def test_the_drift_reference_encodes_only_the_rows_it_keeps() -> None:
    from types import SimpleNamespace

    from textops.model import REFERENCE_VECTORS, LabelledRows, _train

    encoded: list[str] = []

    def vectors(texts: list[str], keys: object = None) -> np.ndarray:
        encoded.extend(texts)
        return np.zeros((len(texts), 4), dtype=np.float32)

    n = REFERENCE_VECTORS * 3
    rows = LabelledRows(
        [f"text {i}" for i in range(n)], ["a"] * n, [bytes([i % 256]) for i in range(n)]
    )
    embedder = SimpleNamespace(cacheable=True)
    clf = SimpleNamespace(embedder=embedder, labels=["a", "b"], vectors=vectors)
    ref = _train.training_reference(clf, rows, None, [], 0)  # type: ignore[arg-type]
    assert len(encoded) == REFERENCE_VECTORS == len(set(encoded))
    assert ref.vectors is not None and len(ref.vectors) == REFERENCE_VECTORS
    assert ref.n_train == n  # the statistics still cover every row


def test_an_encoder_too_slow_for_the_budget_is_never_loaded(
    tiny_bert: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import textops.model._finetune as finetune
    from textops.search._objective import Objective

    def no_load(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(finetune, "load_body", no_load)

    def objective(rate: float) -> Objective:
        return _finetune_objective(tiny_bert, rate, validation=True)

    # 36 texts at 1 text/s: an epoch of at least 3 x 36 s cannot fit in 60 s
    study = optuna.create_study(direction="maximize")
    study.optimize(objective(1.0), n_trials=1)
    trial = study.trials[0]
    assert trial.state.name == "PRUNED"
    assert "estimated from its encode rate" in trial.user_attrs["stopped_reason"]
    # at 1,000 texts/s the estimate fits: the trial goes on to load its model
    with pytest.raises(AssertionError, match="the model was loaded"):
        study.optimize(objective(1000.0), n_trials=1, catch=())


def _finetune_objective(tiny_bert: Path, rate: float, *, validation: bool, **options: Any) -> Any:
    """A 60 s search objective of `finetune` on the 36 spam texts at an encode rate of
    ``rate`` texts/s: with a validation split, or (few labels) every row in the CV folds."""
    from textops.embed import EmbeddingCache
    from textops.embed._encode import text_keys
    from textops.search._data import SearchData, Split
    from textops.search._objective import Objective

    train = Split(SPAM_TEXTS, SPAM_LABELS, text_keys(SPAM_TEXTS))
    empty = Split([], [], [])
    val = Split(SPAM_TEXTS[:6], SPAM_LABELS[:6], text_keys(SPAM_TEXTS[:6])) if validation else empty
    return Objective(
        data=SearchData(train, val, empty, SPAM_TEXTS, text_keys(SPAM_TEXTS)),
        embedders=["minilm"],
        heads=["finetune"],
        latency_ms={"minilm": None},
        folds=3,
        seed=0,
        multi=False,
        cache=EmbeddingCache(),
        budget=Budget.start(60.0),
        head_options={"model": str(tiny_bert), **options},
        rates={"minilm": rate},
    )


def test_few_labels_train_as_many_cv_folds_as_the_budget_holds(tiny_bert: Path) -> None:
    def cv_folds(rate: float) -> int:
        objective = _finetune_objective(tiny_bert, rate, validation=False, epochs=1)
        study = optuna.create_study(direction="maximize")
        study.optimize(objective, n_trials=1, catch=())
        trial = study.trials[0]
        assert trial.state.name == "COMPLETE"
        assert len(trial.user_attrs["cv_scores"]) == trial.user_attrs["cv_folds"]
        return int(trial.user_attrs["cv_folds"])

    # an epoch of 36 texts estimated at 3 x 36 / 5 s: three folds (each on 24 texts) and the
    # refit on 36 do not fit in 60 s, two folds (18 texts each) do
    assert cv_folds(5.0) == 2
    assert cv_folds(1000.0) == 3  # all the search's folds


def test_a_search_whose_trainings_no_longer_fit_stops_instead_of_pruning_each_draw(
    tiny_bert: Path,
) -> None:
    obj = _finetune_objective(tiny_bert, 1000.0, validation=True)
    obj.trained._per_text["minilm", "finetune"] = 10.0  # measured: 360 s an epoch, 60 s left
    study = optuna.create_study(direction="maximize")
    study.optimize(obj, n_trials=50)
    assert [t.state.name for t in study.trials] == ["PRUNED"]
    assert "its fastest epoch so far" in study.trials[0].user_attrs["stopped_reason"]


def test_a_kind_ruled_out_is_not_trained_again_in_the_same_search(tiny_bert: Path) -> None:
    from textops.search._scores import TrialRecord

    obj = _finetune_objective(tiny_bert, 1000.0, validation=True)
    obj.trained._per_text["minilm", "finetune"] = 10.0  # measured: 360 s an epoch, 60 s left
    study = optuna.create_study(direction="maximize")
    study.optimize(obj, n_trials=1)
    assert study.trials[0].user_attrs["stopped"] == "budget"
    obj.trained._per_text.clear()  # even were it fast now, the kind stays out
    later = study.ask()
    rec = TrialRecord()
    with pytest.raises(optuna.TrialPruned, match="ruled out earlier"):
        obj.trained.run(later, "minilm", "finetune", {"epochs": 1}, rec)
    assert later.user_attrs["stopped"] == "ruled_out" and not rec.history


def test_repeated_prunes_of_a_kind_that_cannot_fit_are_reported_once_with_their_count() -> None:
    from optuna.trial import TrialState, create_trial

    from textops.search._finalize import _stopped_by_budget

    def pruned(reason: str, stopped: str = "budget") -> Any:
        attrs = {"stopped": stopped, "stopped_reason": reason}
        return create_trial(state=TrialState.PRUNED, user_attrs=attrs)

    late = "mpnet + finetune: its fastest epoch so far (~900s) does not fit the time left"
    trials = [pruned("minilm + finetune: one epoch of 10 texts takes ~9s"), pruned(late)]
    trials += [pruned(late, "ruled_out") for _ in range(3)]
    for number, t in enumerate(trials):
        t.number = number
    assert _stopped_by_budget(trials) == [
        "trial 0: minilm + finetune: one epoch of 10 texts takes ~9s",
        f"trial 1: {late}",
        "mpnet + finetune: ruled out for the rest of the search; 3 later draw(s) (trials 2-4) "
        "skipped before anything loaded",
    ]
