"""MLP early stopping on the validation split: CV trains epoch by epoch and keeps the best
epoch's weights; the deployed head trains for the epochs that won."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.datasets import make_classification
from sklearn.neural_network import MLPClassifier

from textops._json import to_json
from textops.data import Dataset
from textops.model import TextClassifier, macro_f1
from textops.search import SearchConfig, run_search
from textops.search._fitting import fit_early_stopped
from textops.track import MemoryTracker


def test_keeps_the_weights_of_the_best_validation_epoch_and_stops_after_patience() -> None:
    X, y = make_classification(
        n_samples=400, n_features=20, n_informative=6, n_classes=3, flip_y=0.2, random_state=0
    )
    seen: list[float] = []

    def score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        seen.append(macro_f1(y_true, y_pred))
        return seen[-1]

    est = MLPClassifier(hidden_layer_sizes=(64,), learning_rate_init=0.01, random_state=0)
    best = fit_early_stopped(est, X[:300], y[:300], X[300:], y[300:], score, patience=4)
    assert 1 <= best < len(seen) <= 300  # it stopped on its own, past the best epoch
    assert len(seen) - best <= 4  # ... within ``patience`` epochs of it
    assert seen[best - 1] == max(seen)
    # the model left behind is the best epoch's, not the last one's
    assert macro_f1(y[300:], est.predict(X[300:])) == max(seen)


def test_mlp_winner_deploys_with_the_epochs_its_trial_stopped_at(
    topics: Dataset, home: Path
) -> None:
    cfg = SearchConfig.model_validate(
        {"dataset": "topics", "embedders": ("fake",), "heads": ("mlp",), "cv_folds": 3, "trials": 2}
    )
    tracker = MemoryTracker()
    report = to_json(run_search(cfg, home=home, tracker=tracker))
    trials = [r for r in tracker.runs.values() if r["parent"] is not None]
    assert all(r["metrics"]["epochs"] >= 1 for r in trials)  # every CV trial stopped itself
    epochs = report["best"]["params"]["epochs"]
    assert isinstance(epochs, int) and epochs >= 1
    model = tracker.runs[report["run_id"]]["artifacts"]["model"]
    head = TextClassifier.load(Path(model) / "artifacts" / "classifier").head
    head = head.steps[-1][1] if hasattr(head, "steps") else head  # after a scaler, if any
    assert isinstance(head, MLPClassifier)
    assert head.early_stopping is False and head.max_iter == epochs
