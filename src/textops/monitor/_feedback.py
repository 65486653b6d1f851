"""Which feedback a model takes: an item names a prediction *that model* made and a label
*that model* has. Anything else is refused with the item named (``items.3.label``), before
anything is stored: one stray row (a label the model lacks, a prediction of another model in
the same service) would otherwise reach retraining.

A signed id (``_ids``) is checked without the database; an id of another form is looked up in
this process's recent predictions, then in the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol

from textops.errors import (
    InvalidFeedbackError,
    InvalidLabelError,
    UnknownPredictionError,
    WrongModelKindError,
)
from textops.monitor._ids import PredictionIds
from textops.monitor._log import PredictionLog
from textops.monitor._records import PredictionRecord
from textops.monitor._served import MonitoredModel
from textops.monitor._store import MonitorStore, PredictionRef

__all__ = ["FeedbackContext", "check_items"]


class FeedbackContext(Protocol):
    """What checking feedback reads: the id signer, the recent log, the database, and the
    labels of the versions served (a ``MonitorService``)."""

    ids: PredictionIds
    log: PredictionLog
    store: MonitorStore

    def tag(self, model: MonitoredModel) -> bytes: ...

    def labels_of(self, name: str, version: str) -> list[str] | None: ...

    def stub(self, pid: str, ref: PredictionRef, ts: float) -> PredictionRecord: ...


def _field(single: bool, i: int, name: str) -> str:
    return name if single else f"items.{i}.{name}"


def _check_label(label: str, labels: Sequence[str], model: str, version: str, field: str) -> None:
    if label not in labels:
        raise InvalidLabelError(
            f"{field}: {label!r} is not a label of {model} version {version or '-'}; its labels "
            f"are {list(labels)}",
            field=field,
        )


def _other_model(pid: str, made_by: str | None, model: str, field: str) -> InvalidFeedbackError:
    by = f" (it was made by {made_by})" if made_by else ""
    return InvalidFeedbackError(
        f"{field}: prediction {pid[:12]}... was not made by {model}{by}; send feedback to the "
        "route of the model that made it (/v1/models/NAME/feedback)",
        field=field,
    )


async def check_items(
    svc: FeedbackContext,
    items: Sequence[tuple[str, str]],
    model: MonitoredModel,
    *,
    single: bool = False,
) -> list[PredictionRecord]:
    """Check ``items`` against ``model``; the stub rows to store with them (predictions
    rebuilt from signed ids, in case their logged rows were lost)."""
    if model.kind != "classifier":
        raise WrongModelKindError(
            f"{model.uri} is a text generator: it has no labels to take feedback on"
        )
    name, tag = str(model.name or model.uri), svc.tag(model)
    stubs: list[PredictionRecord] = []
    unsigned: list[int] = []
    for i, (pid, label) in enumerate(items):
        signed = svc.ids.check(pid)
        if signed is None:
            unsigned.append(i)
            continue
        field = _field(single, i, "prediction_id")
        if signed.tag != tag:
            raise _other_model(pid, None, name, field)
        version = str(signed.version) if signed.version else str(model.version or "")
        labels = svc.labels_of(name, version) or (
            model.labels if version == str(model.version or "") else None
        )
        if labels is None or signed.label_index >= len(labels):
            raise UnknownPredictionError(
                f"{field}: prediction {pid[:12]}... of {name} version {version}: that version's "
                "labels are not known here; send feedback to the service that made it"
            )
        _check_label(label, labels, name, version, _field(single, i, "label"))
        ref = PredictionRef(name, version, labels[signed.label_index])
        stubs.append(svc.stub(pid, ref, signed.ts))
    if unsigned:
        await _check_unsigned(svc, items, unsigned, model, name, single)
    return stubs


async def _check_unsigned(
    svc: FeedbackContext,
    items: Sequence[tuple[str, str]],
    which: list[int],
    model: Any,
    name: str,
    single: bool,
) -> None:
    """Ids of another form (made before signed ids, or by a service with another secret):
    this process's recent predictions, then the database."""
    refs: dict[str, PredictionRef] = {}
    for i in which:
        found = svc.log.known(items[i][0])
        if found is not None:
            refs[items[i][0]] = found
    missing = [items[i][0] for i in which if items[i][0] not in refs]
    if missing:
        # a database that cannot answer raises MonitorUnavailableError (503) from the store
        refs.update(await asyncio.to_thread(svc.store.find_predictions, missing))
    unknown = [items[i][0] for i in which if items[i][0] not in refs]
    if unknown:
        raise UnknownPredictionError(
            f"unknown prediction_id(s) {unknown[:5]}: use the ids /v1/predict returned"
        )
    for i in which:
        pid, label = items[i]
        ref = refs[pid]
        if (ref.model_name or model.uri) != name:
            raise _other_model(pid, ref.model_name, name, _field(single, i, "prediction_id"))
        version = str(ref.model_version or "")
        labels = svc.labels_of(name, version) or model.labels
        _check_label(label, labels, name, version, _field(single, i, "label"))
