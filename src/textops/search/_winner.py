"""Which trial wins a study: the best by CV macro-F1 (ties to the lowest held-out Brier score,
then the earliest), or in Pareto mode the most accurate front trial within the latency budget;
and the leaderboard the report shows."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from textops.errors import TextopsError
from textops.search._config import SearchConfig
from textops.search._report import TrialRow, Winner

if TYPE_CHECKING:
    from optuna import Study
    from optuna.trial import FrozenTrial

__all__ = ["leaderboard", "pick_winner", "winner_of"]

log = logging.getLogger("textops.search")


def leaderboard(study: Study, top: int = 10) -> list[TrialRow]:
    """The best trial of each embedder x head first (best first: what each approach reached,
    not ten near-copies of the leader), then the next best trials, ``top`` rows in all (more
    when there are more kinds)."""
    rows = [TrialRow.of(t) for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    rows.sort(key=lambda r: -(r.cv_macro_f1 or 0))
    best_of_kind: dict[tuple[str | None, str | None], TrialRow] = {}
    for row in rows:
        best_of_kind.setdefault((row.embedder, row.head), row)
    firsts = list(best_of_kind.values())
    # a sampler that proposes the same parameters again repeats a trial, and one that has
    # converged proposes neighbours that score the same: show each setting, and each score of
    # an embedder x head, once
    seen = {key for r in firsts for key in _same(r)}
    rest = []
    for row in rows:
        keys = _same(row)
        if not keys & seen:
            seen |= keys
            rest.append(row)
    return firsts + rest[: max(top - len(firsts), 0)]


def _same(row: TrialRow) -> set[str]:
    """What makes two rows the same to a reader: their setting, or their kind and score as the
    table shows it (4 decimals)."""
    setting = json.dumps([row.embedder, row.head, row.params, row.recipe], sort_keys=True,
                         default=str)  # fmt: skip
    score = f"{row.embedder}|{row.head}|{round(row.cv_macro_f1 or 0.0, 4)}"
    return {setting, score}


def _nothing_completed(trials: list[FrozenTrial], config: SearchConfig) -> str:
    """Why no trial completed, and what would fit: the budget's own words when it stopped
    them (one epoch of a fine-tune, say, needs more than the time there was)."""
    why = [str(t.user_attrs.get("stopped_reason")) for t in trials
           if t.user_attrs.get("stopped") in ("budget", "ruled_out")]  # fmt: skip
    if why:
        return (
            f"no trial completed within the budget: {why[0]}. Give it a longer --timeout "
            "(finished trials are kept: a new run resumes)"
        )
    raise_what = "--timeout" if config.trial_limit <= 1 else "--trials or --timeout"
    return f"no trial completed; raise {raise_what} and run again (finished trials are kept)"


def pick_winner(study: Study, config: SearchConfig) -> tuple[FrozenTrial, list[TrialRow]]:
    """The best trial; in Pareto mode the most accurate front trial within the latency budget."""
    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    if not complete:
        raise TextopsError(_nothing_completed(trials, config))
    if config.objective == "f1":
        return _break_ties(complete, study.best_trial), []
    front = sorted(study.best_trials, key=lambda t: t.values[1])
    pareto = [TrialRow.of(t) for t in front]
    ok = [t for t in front if config.max_latency_ms is None or t.values[1] <= config.max_latency_ms]
    if not ok:
        log.warning(
            "no Pareto trial meets --max-latency-ms %s; taking the fastest", config.max_latency_ms
        )
        return front[0], pareto
    return max(ok, key=lambda t: t.values[0]), pareto


def _break_ties(complete: list[FrozenTrial], best: FrozenTrial) -> FrozenTrial:
    """Among the trials whose CV macro-F1 equals the best (common with a few labels: every
    held-out row right), the one with the lowest held-out Brier score (recorded in the
    few-labels mode), then the earliest."""
    ties = [t for t in complete if t.values[0] >= best.values[0] - 1e-12]
    return min(ties, key=lambda t: (t.user_attrs.get("cv_brier", float("inf")), t.number))


def winner_of(t: FrozenTrial) -> Winner:
    """The trial as the winner the refit rebuilds: its embedder, head and parameters (the
    epochs CV stopped at on the validation split), score, latency and data recipe."""
    params = dict(t.user_attrs["params"])
    if "epochs" in t.user_attrs:  # stopped on the validation split in CV (see _fitting)
        params["epochs"] = t.user_attrs["epochs"]
    return Winner(
        embedder=str(t.user_attrs["embedder"]),
        head=str(t.user_attrs["head"]),
        params=params,
        cv_macro_f1=float(t.values[0]),
        trial=t.number,
        latency_ms=t.user_attrs.get("latency_ms"),
        recipe=t.user_attrs.get("recipe"),
    )
