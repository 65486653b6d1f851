"""What the routes of one service share, kept on ``app.state.service``, and the dependencies
that read it (the routes are plain functions in ``_routes``; nothing is captured in closures)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from textops.errors import AuthError, ForbiddenError, ModelNotFoundError
from textops.serve._settings import ServeSettings

if TYPE_CHECKING:
    from textops.monitor import DriftMonitor, MonitorService, RetrainTrigger
    from textops.serve._batcher import MicroBatcher
    from textops.serve._metrics import ServiceMetrics
    from textops.serve._model import ServedModel
    from textops.serve._swap import ModelHolder

__all__ = [
    "ModelSlot",
    "ServiceState",
    "State",
    "check_admin",
    "check_key",
    "require_admin",
    "require_key",
    "service",
]


@dataclass
class ModelSlot:
    """One served model: its holder (hot swap), its own micro-batcher and drift watch."""

    name: str
    uri: str
    holder: ModelHolder
    batcher: MicroBatcher[ServedModel]
    drift: DriftMonitor | None = None


@dataclass
class ServiceState:
    settings: ServeSettings
    holder: ModelHolder
    batcher: MicroBatcher[ServedModel]
    metrics: ServiceMetrics
    api_key: str | None
    monitor: MonitorService | None = None
    drift: DriftMonitor | None = None
    retrain: RetrainTrigger | None = None
    #: every served model by name, the first (``holder``, ``batcher``) among them
    slots: dict[str, ModelSlot] = field(default_factory=dict)
    admin_key: str | None = None
    #: reviewers' keys, each mapped to its reviewer's name
    review_keys: dict[str, str] = field(default_factory=dict)

    def slot(self, name: str | None = None) -> ModelSlot:
        """The served model ``name`` (None: the first, the one /v1/predict answers with)."""
        if name is None:
            return next(iter(self.slots.values()))
        try:
            return self.slots[name]
        except KeyError:
            raise ModelNotFoundError(
                f"model {name!r} is not served here; this service serves {sorted(self.slots)}"
            ) from None


async def service(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


#: a route parameter ``state: State`` is the service's shared state
State = Annotated[ServiceState, Depends(service)]

_KEY = APIKeyHeader(name="x-api-key", auto_error=False)


def _same(given: str, key: str | None) -> bool:
    return key is not None and secrets.compare_digest(given.encode(), key.encode())


def check_key(state: ServiceState, given: str | None) -> None:
    """AuthError unless ``given`` is the server's API key or its admin key (any request
    passes on a server without an API key)."""
    if state.api_key is None:
        return
    if given is None:
        raise AuthError("this server needs an API key: send it in the x-api-key header")
    if not (_same(given, state.api_key) or _same(given, state.admin_key)
            or reviewer_of(state, given) is not None):  # fmt: skip
        raise AuthError("wrong API key in the x-api-key header")


def reviewer_of(state: ServiceState, given: str | None) -> str | None:
    """The reviewer whose review key ``given`` is (every key compared, in constant time)."""
    found = None
    if given is not None:
        for key, name in state.review_keys.items():
            if _same(given, key):
                found = name
    return found


def check_reviewer(state: ServiceState, given: str | None) -> None:
    """The review queue: a review key or the admin key."""
    if reviewer_of(state, given) is not None:
        return
    if state.admin_key is None and not state.review_keys:
        raise ForbiddenError(
            "review is off: start the server with --review-keys-env VAR (reviewers' keys) "
            "or --admin-key-env VAR"
        )
    if given is None:
        raise AuthError("this route needs a review key or the admin key in the x-api-key header")
    if not _same(given, state.admin_key):
        raise ForbiddenError("this route needs a review key or the admin key")


def check_admin(state: ServiceState, given: str | None) -> None:
    """Admin routes: only on a server with an admin key, and only with it (the API key is
    refused: whoever may predict must not reload models or start retrains)."""
    if state.admin_key is None:
        raise ForbiddenError(
            "admin endpoints are off: start the server with --admin-key-env VAR to enable them"
        )
    if given is None:
        raise AuthError("this route needs the admin key in the x-api-key header")
    if not _same(given, state.admin_key):
        raise ForbiddenError(
            "this route needs the admin key (--admin-key-env); the key sent does not open it"
        )


# dependencies are coroutines: FastAPI runs a plain function in a thread pool, a thread hop
# on every request


async def require_key(request: Request, given: str | None = Security(_KEY)) -> None:
    """Who may predict (and send feedback): anyone with the key; everyone on a server
    without one."""
    check_key(request.app.state.service, given)


async def require_reviewer(request: Request, given: str | None = Security(_KEY)) -> None:
    """The review queue: a reviewer's key or the admin key."""
    check_reviewer(request.app.state.service, given)


async def require_admin(request: Request, given: str | None = Security(_KEY)) -> None:
    """Admin routes: only on a server with an admin key, and only with it."""
    check_admin(request.app.state.service, given)
