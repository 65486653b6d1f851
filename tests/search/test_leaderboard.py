"""The leaderboard: the best trial of each embedder x head first, then the next best, each
setting once (a sampler proposing the same parameters again repeats a trial)."""

from __future__ import annotations

import optuna

from textops.search._winner import leaderboard


def _trial(value: float, embedder: str, head: str, **params: object) -> optuna.trial.FrozenTrial:
    attrs = {"embedder": embedder, "head": head, "params": params}
    return optuna.trial.create_trial(value=value, user_attrs=attrs)


def test_best_of_each_kind_then_the_next_best_each_setting_once() -> None:
    study = optuna.create_study(direction="maximize")
    for t in [
        _trial(0.90, "tfidf", "logreg", C=1.0),
        _trial(0.90, "tfidf", "logreg", C=1.0),  # the same setting sampled again
        _trial(0.85, "tfidf", "logreg", C=10.0),
        _trial(0.70, "static", "knn", n_neighbors=2),
        _trial(0.80, "tfidf", "knn", n_neighbors=5),
        _trial(0.60, "static", "knn", n_neighbors=9),
        _trial(0.849996, "tfidf", "logreg", C=10.5),  # a neighbour of trial 2, the same score
    ]:
        study.add_trial(t)
    rows = leaderboard(study, top=5)
    kinds = [(r.embedder, r.head, r.cv_macro_f1) for r in rows]
    assert kinds[:3] == [("tfidf", "logreg", 0.90), ("tfidf", "knn", 0.80),
                         ("static", "knn", 0.70)]  # fmt: skip
    # trial 1 repeats trial 0 and trial 6 scores as trial 2 (to 4 places): neither is shown
    assert [r.trial for r in rows[3:]] == [2, 5]
