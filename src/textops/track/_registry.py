"""The MLflow Model Registry with champion/challenger aliases and a rollback history.

Each registered version carries tags: its test macro-F1, the dataset fingerprint of the test
split it was scored on, its embedder and head. The champions a model has had are a stack (the
registered model's ``textops.champion_history`` tag): ``promote`` pushes the champion it
replaces, ``rollback`` pops it, so each rollback steps one champion further back and never flips
between two versions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from textops.errors import ModelNotFoundError, RegistryError, TextopsError
from textops.model import macro_f1_labels
from textops.track._champion import (
    CHALLENGER,
    CHAMPION,
    DEFAULT_GATE,
    TAG_F1,
    TAG_FP,
    TAG_KIND,
    TAG_PPL,
    Comparison,
    HeldOut,
    Registration,
    classifier_decision,
    generator_wins,
    needs_rescoring,
)
from textops.track._gate import Gate, GateDecision, PairedPredictions, decide, generator_decision
from textops.track._mlflow import default_tracking_uri, quiet_mlflow
from textops.track._store import checked_store
from textops.track._versions import ChampionChange, ModelInfo, VersionInfo

__all__ = ["CHALLENGER", "CHAMPION", "ModelRegistry"]

TAG_PREV = "textops.previous_champion"
TAG_HISTORY = "textops.champion_history"


def _not_found(exc: Exception) -> bool:
    """MLflow's answer for a model or an alias that does not exist."""
    code = getattr(exc, "error_code", "")
    if code == "RESOURCE_DOES_NOT_EXIST":
        return True
    return code == "INVALID_PARAMETER_VALUE" and "not found" in str(exc)


class ModelRegistry:
    """Versions, aliases and the champion history of registered models, and registration:
    it reads the champion, re-scores it on the new version's held-out rows when it was scored
    on other data, asks the policy (``_champion``) and writes the outcome."""

    def __init__(self, tracking_uri: str | None = None, *, home: str | Path | None = None) -> None:
        from mlflow import MlflowClient

        quiet_mlflow()
        self.uri = checked_store(tracking_uri or default_tracking_uri(home))
        self.client = MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)

    # -- reads -----------------------------------------------------------------------------
    def _alias_version(self, name: str, alias: str) -> Any | None:
        """The version ``alias`` names; None when the model or the alias does not exist. Any
        other failure is a RegistryError: "no champion" read from a registry that did not
        answer would let the wrong version be promoted."""
        from mlflow.exceptions import MlflowException

        try:
            return self.client.get_model_version_by_alias(name, alias)
        except MlflowException as exc:
            if _not_found(exc):
                return None
            raise RegistryError(
                f"cannot read alias {alias!r} of model {name!r} from {self.uri}: {exc}"
            ) from exc
        except Exception as exc:
            raise RegistryError(
                f"cannot read alias {alias!r} of model {name!r} from {self.uri}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    def alias_version(self, name: str, alias: str) -> int | None:
        """The version ``alias`` points at, or None (no such model or alias)."""
        mv = self._alias_version(name, alias)
        return None if mv is None else int(mv.version)

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

    # -- registration ----------------------------------------------------------------------
    def champion(self, name: str) -> VersionInfo | None:
        """The champion version (None: no such model, or no champion)."""
        mv = self._alias_version(name, CHAMPION)
        if mv is None:
            return None
        return VersionInfo(version=int(mv.version), aliases=[CHAMPION], run_id=mv.run_id,
                           source=str(mv.source), tags=dict(mv.tags),
                           created=int(mv.creation_timestamp))  # fmt: skip

    def existing(self, name: str, identity: Mapping[str, str]) -> Registration | None:
        """The version already registered with these ``identity`` tags (a search's study,
        trial and data), as a registration that changed nothing; None when there is none."""
        same = self.find(name, dict(identity))
        if same is None:
            return None
        reason = (
            f"winner unchanged: {identity.get('textops.study', 'its study')!r} trial "
            f"{identity.get('textops.trial', '?')} is version {same.version} already; "
            "nothing new registered"
        )
        return Registration(same.version, ",".join(same.aliases) or None,
                            Comparison(reason=reason, unchanged=True), unchanged=True,
                            run_id=same.run_id)  # fmt: skip

    def register_classifier(
        self,
        *,
        name: str,
        source: str,
        run_id: str,
        tags: Mapping[str, str],
        macro_f1: float,
        fingerprint: str,
        gate: Gate = DEFAULT_GATE,
        held_out: HeldOut | None = None,
    ) -> Registration:
        """Register a classifier version: champion when ``gate`` lets it replace the champion
        on ``held_out`` (its test split: the champion is predicted there when the gate pairs
        them, or re-scored there when it was scored on other data), else challenger. Without
        held-out rows (few labels) a champion scored on other data is kept. The decision goes
        into the version's tags and its run's."""
        version = self._new_version(
            name, source, run_id, {**tags, TAG_F1: repr(float(macro_f1)), TAG_FP: fingerprint}
        )
        champ = self.champion(name)
        paired = rescored = None
        if champ is not None and held_out is not None and held_out.texts:
            pairs_needed = gate.mode == "significant" and held_out.predicted is not None
            if pairs_needed or needs_rescoring(champ.tags, fingerprint):
                predicted = self._predict(f"models:/{name}/{champ.version}", held_out.texts)
                if pairs_needed:
                    paired = PairedPredictions(list(held_out.labels),
                                               list(held_out.predicted or ()), predicted)  # fmt: skip
                rescored = macro_f1_labels(list(held_out.labels), predicted)
        decision, comparison = classifier_decision(
            gate, macro_f1, fingerprint, None if champ is None else champ.tags,
            paired=paired, rescored_f1=rescored,
        )  # fmt: skip
        comparison = replace(comparison, new_version=version,
                             champion_version=None if champ is None else champ.version)  # fmt: skip
        self.record_decision(name, version, run_id, decision)
        return self._settle(name, version, decision.promote, run_id, comparison)

    def register_generator(
        self,
        *,
        name: str,
        source: str,
        run_id: str,
        perplexity: float,
        fingerprint: str,
        tags: Mapping[str, str],
        champion_perplexity: float | None = None,
    ) -> Registration:
        """Register a generator version: champion when its validation perplexity is lower
        than the champion's on the same validation split (recorded, or
        ``champion_perplexity`` measured on this one by the caller, which can load a
        generator: see :meth:`rescoring_uri`), else challenger."""
        kind = {TAG_KIND: "generator", TAG_PPL: repr(float(perplexity)), TAG_FP: fingerprint}
        version = self._new_version(name, source, run_id, {**tags, **kind})
        champ = self.champion(name)
        wins, comparison = generator_wins(
            perplexity, fingerprint, None if champ is None else champ.tags,
            rescored=champion_perplexity,
        )  # fmt: skip
        comparison = replace(comparison, new_version=version,
                             champion_version=None if champ is None else champ.version)  # fmt: skip
        return self._settle(name, version, wins, run_id, comparison)

    def rescoring_uri(self, name: str, fingerprint: str, *, generator: bool = False) -> str | None:
        """The champion's URI when its recorded score is on other data than
        ``fingerprint``'s (a new version's data): it must be re-scored there to compare.
        ``generator``: only a generator champion (another kind is kept, not compared)."""
        champ = self.champion(name)
        if champ is None or not needs_rescoring(champ.tags, fingerprint):
            return None
        if generator and champ.tags.get(TAG_KIND) != "generator":
            return None
        return f"models:/{name}/{champ.version}"

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
        self, name: str, version: int, gate: Gate, test: HeldOut | None = None
    ) -> tuple[GateDecision, ChampionChange | None]:
        """Promote ``version`` when ``gate`` lets it replace the champion, both predicted on
        ``test`` (needed by ``better`` and ``significant``). Returns the decision and, when
        promoted, the change."""
        mv = self._version(name, version)
        champ = self._alias_version(name, CHAMPION)
        if mv.tags.get(TAG_KIND) == "generator" and champ is not None and gate.mode != "none":
            same = int(champ.version) == int(version)
            decision = generator_decision(gate, mv.tags, champ.tags, same=same)
        elif champ is None or int(champ.version) == int(version) or gate.mode == "none":
            decision = decide(gate, float(mv.tags.get(TAG_F1, "nan")), None)
            if champ is not None and int(champ.version) == version:
                decision = replace(decision, reason="already champion")
            elif gate.mode == "none" and champ is not None:
                decision = replace(decision, reason="gate none: promoted unconditionally")
        else:
            if test is None or not test.texts:
                raise TextopsError(f"gate {gate.mode} needs a test split to compare on")
            pairs = PairedPredictions(
                list(test.labels),
                self._predict(f"models:/{name}/{version}", test.texts),
                self._predict(f"models:/{name}/{champ.version}", test.texts),
            )
            decision = decide(gate, pairs.macro_f1("challenger"), pairs.macro_f1("champion"), pairs)
        self.record_decision(name, version, mv.run_id, decision)
        return decision, self.promote(name, version) if decision.promote else None

    # -- helpers ---------------------------------------------------------------------------
    def _new_version(self, name: str, source: str, run_id: str, tags: Mapping[str, str]) -> int:
        from mlflow.exceptions import MlflowException

        try:  # idempotent: two searches registering a new name at once both go on
            self.client.create_registered_model(name, description="registered by textops")
        except MlflowException as exc:
            if getattr(exc, "error_code", "") != "RESOURCE_ALREADY_EXISTS":
                raise
        mv = self.client.create_model_version(name, source=source, run_id=run_id, tags=dict(tags))
        return int(mv.version)

    def _settle(
        self, name: str, version: int, wins: bool, run_id: str, why: Comparison
    ) -> Registration:
        """Champion when ``wins``, else challenger."""
        if wins:
            self.promote(name, version)
        else:
            self.client.set_registered_model_alias(name, CHALLENGER, str(version))
        return Registration(version, CHAMPION if wins else CHALLENGER, why, run_id=run_id)

    def _predict(self, uri: str, texts: Sequence[str]) -> list[str]:
        from textops.track._pyfunc import load_classifier

        clf, _ = load_classifier(uri, self.uri)
        return list(clf.predict(list(texts)))
