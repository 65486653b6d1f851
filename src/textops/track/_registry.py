"""The MLflow Model Registry with champion/challenger aliases and a rollback history.

Each registered version carries tags: its test macro-F1, the dataset fingerprint of the test
split it was scored on, its embedder and head. The champions a model has had are a stack (the
registered model's ``textops.champion_history`` tag): ``promote`` pushes the champion it
replaces, ``rollback`` pops it, so each rollback steps one champion further back and never flips
between two versions.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from textops._types import JSON
from textops.errors import ModelNotFoundError, TextopsError
from textops.track._gate import Gate, GateDecision, PairedPredictions, decide
from textops.track._mlflow import default_tracking_uri, quiet_mlflow

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "ChampionChange",
    "ModelInfo",
    "ModelRegistry",
    "Registration",
    "VersionInfo",
]

CHAMPION = "champion"
CHALLENGER = "challenger"
TAG_F1 = "textops.test_macro_f1"
TAG_FP = "textops.dataset_fingerprint"
TAG_PREV = "textops.previous_champion"
TAG_HISTORY = "textops.champion_history"
TAG_KIND = "textops.kind"
TAG_PPL = "textops.val_perplexity"
DEFAULT_GATE = Gate()


@dataclass(frozen=True)
class VersionInfo:
    """One registered version: its aliases, the run that holds it, and its tags (test
    macro-F1, dataset fingerprint, embedder, head, study and trial)."""

    version: int
    aliases: list[str]
    run_id: str | None
    source: str
    tags: dict[str, str]
    created: int

    def as_json(self) -> JSON:
        return asdict(self)


@dataclass(frozen=True)
class ModelInfo:
    name: str
    champion: int | None
    aliases: dict[str, int]
    latest: int | None

    def as_json(self) -> JSON:
        return asdict(self)


@dataclass(frozen=True)
class ChampionChange:
    """What ``promote`` or ``rollback`` did: the champion now, and the one it replaced."""

    name: str
    champion: int
    previous: int | None

    def as_json(self, *, rollback: bool = False) -> JSON:
        if rollback:  # `models rollback --json` names the one left
            return {"name": self.name, "champion": self.champion, "rolled_back_from": self.previous}
        return asdict(self)


@dataclass(frozen=True)
class Registration:
    """What registering a search's winner did: the version that holds it, its alias, and why
    (``comparison``, logged with the run); ``unchanged`` when that version existed already."""

    version: int
    alias: str | None
    comparison: JSON = field(default_factory=dict)
    unchanged: bool = False
    #: the run that holds the version's model
    run_id: str | None = None


class ModelRegistry:
    def __init__(self, tracking_uri: str | None = None, *, home: str | Path | None = None) -> None:
        from mlflow import MlflowClient

        quiet_mlflow()
        self.uri = tracking_uri or default_tracking_uri(home)
        self.client = MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)

    # -- reads -----------------------------------------------------------------------------
    def _alias_version(self, name: str, alias: str) -> Any | None:
        try:
            return self.client.get_model_version_by_alias(name, alias)
        except Exception:
            return None

    def versions(self, name: str) -> list[VersionInfo]:
        model = self._model(name)
        aliases: dict[str, list[str]] = {}
        for alias, version in (model.aliases or {}).items():
            aliases.setdefault(str(version), []).append(alias)
        rows = [
            VersionInfo(
                version=int(mv.version),
                aliases=aliases.get(str(mv.version), []),
                run_id=mv.run_id,
                source=str(mv.source),
                tags=dict(mv.tags),
                created=int(mv.creation_timestamp),
            )
            for mv in self.client.search_model_versions(f"name='{name}'")
        ]
        return sorted(rows, key=lambda r: r.version)

    def find(self, name: str, tags: dict[str, str]) -> VersionInfo | None:
        """The newest version of ``name`` whose tags include all of ``tags`` (None if none, or
        no such model)."""
        try:
            rows = self.versions(name)
        except ModelNotFoundError:
            return None
        return next(
            (r for r in reversed(rows) if all(r.tags.get(k) == v for k, v in tags.items())), None
        )

    def models(self) -> list[ModelInfo]:
        out = []
        for m in self.client.search_registered_models():
            aliases = {k: int(v) for k, v in (m.aliases or {}).items()}
            out.append(
                ModelInfo(
                    name=m.name,
                    champion=aliases.get(CHAMPION),
                    aliases=aliases,
                    latest=max((int(v.version) for v in m.latest_versions or []), default=None),
                )
            )
        return out

    # -- writes ----------------------------------------------------------------------------
    def register_winner(
        self,
        *,
        name: str,
        identity: Mapping[str, str],
        save: Callable[[], tuple[str, str]],
        macro_f1: float,
        fingerprint: str,
        tags: Mapping[str, str],
        score_champion: Callable[[str], float] | None = None,
        gate: Gate = DEFAULT_GATE,
        paired: Callable[[str], PairedPredictions] | None = None,
    ) -> Registration:
        """The policy for a search's winner. When a version with the same ``identity`` tags
        (study, trial, data) exists, the winner is that version: nothing is saved or
        registered. Otherwise ``save()`` writes the model (returning its source URI and run
        id) and it is registered: champion when it beats the champion on the same test split
        (see :meth:`register`), else challenger."""
        same = self.find(name, dict(identity))
        if same is not None:
            reason = (
                f"winner unchanged: {identity.get('textops.study', 'its study')!r} trial "
                f"{identity.get('textops.trial', '?')} is version {same.version} already; "
                "nothing new registered"
            )
            return Registration(
                same.version,
                ",".join(same.aliases) or None,
                {"reason": reason, "unchanged": True},
                unchanged=True,
                run_id=same.run_id,
            )
        source, run_id = save()
        return self.register(
            name=name,
            source=source,
            run_id=run_id,
            tags={**tags, **identity},
            macro_f1=macro_f1,
            fingerprint=fingerprint,
            score_champion=score_champion,
            gate=gate,
            paired=paired,
        )

    def register(
        self,
        *,
        name: str,
        source: str,
        run_id: str,
        tags: dict[str, str],
        macro_f1: float,
        fingerprint: str,
        score_champion: Callable[[str], float] | None = None,
        gate: Gate = DEFAULT_GATE,
        paired: Callable[[str], PairedPredictions] | None = None,
    ) -> Registration:
        """Register a version; alias it champion when ``gate`` lets it replace the champion
        (default: a higher macro-F1 on the same test split), else challenger.

        When the champion was scored on another dataset version, ``score_champion(uri)`` scores
        it on this test split; without it such a champion is kept and the new version is
        challenger. ``gate`` ``significant`` needs ``paired(uri)``: both models' labels on the
        test split. The decision goes into the version's tags and its run's.
        """
        try:
            self.client.get_registered_model(name)
        except Exception:
            self.client.create_registered_model(name, description="registered by textops")
        mv = self.client.create_model_version(
            name,
            source=source,
            run_id=run_id,
            tags={**tags, TAG_F1: repr(float(macro_f1)), TAG_FP: fingerprint},
        )
        version = int(mv.version)
        champ = self._alias_version(name, CHAMPION)
        comparison: JSON = {"new_version": version, "new_macro_f1": macro_f1}
        champ_f1: float | None = None
        pairs = None
        if champ is not None:
            comparison["champion_version"] = int(champ.version)
            champ_uri = f"models:/{name}/{champ.version}"
            if gate.mode == "significant" and paired is not None:
                pairs = paired(champ_uri)
                champ_f1 = pairs.macro_f1("champion")
                comparison["champion_scored"] = "predicted on this test split (paired)"
            elif champ.tags.get(TAG_FP) == fingerprint:
                champ_f1 = float(champ.tags[TAG_F1])
                comparison["champion_scored"] = "recorded (same test split)"
            elif score_champion is not None:
                champ_f1 = score_champion(champ_uri)
                comparison["champion_scored"] = "re-scored on this test split"
            else:
                champ_f1 = float("inf")
                comparison["champion_scored"] = "not comparable (other test split)"
            comparison["champion_macro_f1"] = champ_f1
        decision = decide(gate, macro_f1, champ_f1, pairs)
        comparison["reason"] = decision.reason
        comparison["gate"] = decision.as_json()
        self.record_decision(name, version, run_id, decision)
        wins = decision.promote
        alias = CHAMPION if wins else CHALLENGER
        if wins:
            self.promote(name, version)
        else:
            self.client.set_registered_model_alias(name, CHALLENGER, str(version))
        return Registration(version, alias, comparison, run_id=run_id)

    def register_generator(
        self,
        *,
        name: str,
        source: str,
        run_id: str,
        perplexity: float,
        fingerprint: str,
        tags: Mapping[str, str],
        score_champion: Callable[[str], float] | None = None,
    ) -> Registration:
        """Register a generator version: champion when its validation perplexity is lower
        than the champion's on the same validation split (a champion trained on another
        dataset version is re-scored with ``score_champion(uri)``, else kept)."""
        try:
            self.client.get_registered_model(name)
        except Exception:
            self.client.create_registered_model(name, description="registered by textops")
        mv = self.client.create_model_version(
            name, source=source, run_id=run_id,
            tags={**tags, TAG_KIND: "generator", TAG_PPL: repr(float(perplexity)),
                  TAG_FP: fingerprint},
        )  # fmt: skip
        version = int(mv.version)
        champ = self._alias_version(name, CHAMPION)
        comparison: JSON = {"new_version": version, "new_val_perplexity": perplexity}
        if champ is None:
            wins, comparison["reason"] = True, "no champion yet"
        else:
            comparison["champion_version"] = int(champ.version)
            if champ.tags.get(TAG_KIND) != "generator":
                champ_ppl = 0.0
                comparison["champion_scored"] = "not a generator: kept"
            elif champ.tags.get(TAG_FP) == fingerprint:
                champ_ppl = float(champ.tags[TAG_PPL])
                comparison["champion_scored"] = "recorded (same validation split)"
            elif score_champion is not None:
                champ_ppl = score_champion(f"models:/{name}/{champ.version}")
                comparison["champion_scored"] = "re-scored on this validation split"
            else:
                champ_ppl = 0.0
                comparison["champion_scored"] = "not comparable (other validation split)"
            comparison["champion_val_perplexity"] = champ_ppl
            wins = perplexity < champ_ppl
            comparison["reason"] = (
                "lower validation perplexity than the champion" if wins
                else "does not beat the champion's validation perplexity"
            )  # fmt: skip
        if wins:
            self.promote(name, version)
        else:
            self.client.set_registered_model_alias(name, CHALLENGER, str(version))
        return Registration(version, CHAMPION if wins else CHALLENGER, comparison, run_id=run_id)

    def record_decision(
        self, name: str, version: int, run_id: str | None, decision: GateDecision
    ) -> None:
        """The gate's decision as tags of the version and of its run (and the p-value as the
        run's metric ``gate_p_value``)."""
        for key, value in decision.tags().items():
            self.client.set_model_version_tag(name, str(version), key, value)
            if run_id:
                self.client.set_tag(run_id, key, value)
        if run_id and decision.p_value is not None:
            self.client.log_metric(run_id, "gate_p_value", decision.p_value)

    def promote_gated(
        self,
        name: str,
        version: int,
        gate: Gate,
        paired: Callable[[str, str], PairedPredictions] | None = None,
    ) -> tuple[GateDecision, ChampionChange | None]:
        """Promote ``version`` when ``gate`` lets it replace the champion, comparing the two
        on a shared test split: ``paired(challenger_uri, champion_uri)`` gives both models'
        labels (needed by ``better`` and ``significant``). Returns the decision and, when
        promoted, the change."""
        mv = self._version(name, version)
        champ = self._alias_version(name, CHAMPION)
        if mv.tags.get(TAG_KIND) == "generator" and champ is not None and gate.mode != "none":
            decision = self._generator_gate(mv, champ, gate)
        elif champ is None or int(champ.version) == int(version) or gate.mode == "none":
            why = (
                "already champion" if champ is not None and int(champ.version) == version else None
            )
            decision = decide(gate, float(mv.tags.get(TAG_F1, "nan")), None)
            if why:
                decision = replace(decision, reason=why)
            elif gate.mode == "none" and champ is not None:
                decision = replace(decision, reason="gate none: promoted unconditionally")
        else:
            if paired is None:
                raise TextopsError(f"gate {gate.mode} needs a test split to compare on")
            pairs = paired(f"models:/{name}/{version}", f"models:/{name}/{champ.version}")
            decision = decide(gate, pairs.macro_f1("challenger"), pairs.macro_f1("champion"), pairs)
        self.record_decision(name, version, mv.run_id, decision)
        return decision, self.promote(name, version) if decision.promote else None

    @staticmethod
    def _generator_gate(mv: Any, champ: Any, gate: Gate) -> GateDecision:
        """A generator replaces the champion on a lower recorded validation perplexity."""
        if gate.mode == "significant":
            raise TextopsError(
                "gate significant has no paired test for generators; use --gate better "
                "(lower validation perplexity) or --gate none"
            )
        new = float(mv.tags.get(TAG_PPL, "inf"))
        old = (
            float(champ.tags.get(TAG_PPL, "inf"))
            if champ.tags.get(TAG_KIND) == "generator"
            else float("inf")
        )
        wins = new < old or int(champ.version) == int(mv.version)
        reason = (f"validation perplexity {new:.3f} against the champion's {old:.3f}"
                  + ("" if champ.tags.get(TAG_FP) == mv.tags.get(TAG_FP)
                     else " (recorded on different validation splits)"))  # fmt: skip
        return GateDecision(gate=gate.mode, promote=wins, reason=reason,
                            challenger_macro_f1=float("nan"), champion_macro_f1=None)  # fmt: skip

    def _model(self, name: str) -> Any:
        try:
            return self.client.get_registered_model(name)
        except Exception as exc:
            raise ModelNotFoundError(
                f"no registered model {name!r} in {self.uri}; see `textops models list`"
            ) from exc

    def _version(self, name: str, version: int) -> Any:
        self._model(name)
        try:
            return self.client.get_model_version(name, str(version))
        except Exception as exc:
            known = [r.version for r in self.versions(name)]
            raise ModelNotFoundError(
                f"model {name!r} has no version {version} (versions: {known}); see "
                f"`textops models show {name}`"
            ) from exc

    def _history(self, model: Any) -> list[int]:
        raw = (model.tags or {}).get(TAG_HISTORY)
        return [int(v) for v in json.loads(raw)] if raw else []

    def _set_history(self, name: str, history: list[int]) -> None:
        self.client.set_registered_model_tag(name, TAG_HISTORY, json.dumps(history[-50:]))

    def promote(self, name: str, version: int) -> ChampionChange:
        """Make ``version`` champion, pushing the champion it replaces onto the history."""
        self._version(name, version)
        current = self._alias_version(name, CHAMPION)
        if current is not None and int(current.version) != int(version):
            self.client.set_model_version_tag(name, str(version), TAG_PREV, str(current.version))
            history = self._history(self._model(name))
            self._set_history(name, [*history, int(current.version)])
        self.client.set_registered_model_alias(name, CHAMPION, str(version))
        chall = self._alias_version(name, CHALLENGER)
        if chall is not None and int(chall.version) == int(version):
            self.client.delete_registered_model_alias(name, CHALLENGER)
        previous = int(current.version) if current is not None else None
        return ChampionChange(name, int(version), previous)

    def rollback(self, name: str) -> ChampionChange:
        """Move ``champion`` back to the champion it replaced (popped from the history)."""
        model = self._model(name)
        current = self._alias_version(name, CHAMPION)
        if current is None:
            raise TextopsError(f"model {name!r} has no champion to roll back")
        history = self._history(model)
        if not history and TAG_HISTORY not in (model.tags or {}):
            # a model promoted before the history existed: its champion's own tag, once
            previous = current.tags.get(TAG_PREV)
            history = [int(previous)] if previous else []
        while history and history[-1] == int(current.version):
            history.pop()
        if not history:
            raise TextopsError(
                f"champion v{current.version} of {name!r} replaced no earlier champion (or "
                f"every earlier one was rolled back already); promote a version instead: "
                f"`textops models promote {name} VERSION`"
            )
        previous = history.pop()
        self.client.set_registered_model_alias(name, CHAMPION, str(previous))
        self._set_history(name, history)
        self.client.set_model_version_tag(name, str(current.version), "textops.rolled_back", "true")
        return ChampionChange(name, previous, int(current.version))
