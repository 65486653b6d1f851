"""Which registered version is champion: a search's winner (test macro-F1 against the
champion's on the same test split, through the promotion gate), a generator (validation
perplexity), and a gated ``models promote``. Each decision is written to the version's tags
and its run. :class:`ModelRegistry` holds the versions and aliases this policy moves."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from textops._types import JSON
from textops.errors import TextopsError
from textops.track._gate import Gate, GateDecision, PairedPredictions, decide, generator_decision

__all__ = ["CHALLENGER", "CHAMPION", "ChampionPolicy", "Registration"]

CHAMPION = "champion"
CHALLENGER = "challenger"
TAG_F1 = "textops.test_macro_f1"
TAG_FP = "textops.dataset_fingerprint"
TAG_KIND = "textops.kind"
TAG_PPL = "textops.val_perplexity"
DEFAULT_GATE = Gate()


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


class ChampionPolicy:
    """The registry's champion decisions (mixed into :class:`ModelRegistry`, which gives the
    client, the version lookups and ``promote``)."""

    client: Any

    def _alias_version(self, name: str, alias: str) -> Any | None:
        raise NotImplementedError

    def _version(self, name: str, version: int) -> Any:
        raise NotImplementedError

    def find(self, name: str, tags: dict[str, str]) -> Any:
        raise NotImplementedError

    def promote(self, name: str, version: int) -> Any:
        raise NotImplementedError

    def _new_version(self, name: str, source: str, run_id: str, tags: Mapping[str, str]) -> int:
        from mlflow.exceptions import MlflowException

        try:  # idempotent: two searches registering a new name at once both go on
            self.client.create_registered_model(name, description="registered by textops")
        except MlflowException as exc:
            if getattr(exc, "error_code", "") != "RESOURCE_ALREADY_EXISTS":
                raise
        mv = self.client.create_model_version(name, source=source, run_id=run_id, tags=dict(tags))
        return int(mv.version)

    def _settle(self, name: str, version: int, wins: bool, run_id: str, why: JSON) -> Registration:
        """Champion when ``wins``, else challenger."""
        if wins:
            self.promote(name, version)
        else:
            self.client.set_registered_model_alias(name, CHALLENGER, str(version))
        return Registration(version, CHAMPION if wins else CHALLENGER, why, run_id=run_id)

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
        version = self._new_version(
            name, source, run_id, {**tags, TAG_F1: repr(float(macro_f1)), TAG_FP: fingerprint}
        )
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
        score_champion: Callable[[str], float] | None = None,
    ) -> Registration:
        """Register a generator version: champion when its validation perplexity is lower
        than the champion's on the same validation split (a champion trained on another
        dataset version is re-scored with ``score_champion(uri)``, else kept)."""
        kind = {TAG_KIND: "generator", TAG_PPL: repr(float(perplexity)), TAG_FP: fingerprint}
        version = self._new_version(name, source, run_id, {**tags, **kind})
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
        return self._settle(name, version, wins, run_id, comparison)

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
    ) -> tuple[GateDecision, Any]:
        """Promote ``version`` when ``gate`` lets it replace the champion, comparing the two
        on a shared test split: ``paired(challenger_uri, champion_uri)`` gives both models'
        labels (needed by ``better`` and ``significant``). Returns the decision and, when
        promoted, the change."""
        mv = self._version(name, version)
        champ = self._alias_version(name, CHAMPION)
        if mv.tags.get(TAG_KIND) == "generator" and champ is not None and gate.mode != "none":
            same = int(champ.version) == int(version)
            decision = generator_decision(gate, mv.tags, champ.tags, same=same)
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
