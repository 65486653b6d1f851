"""The frozen configuration of one prediction service (CLI flags or YAML map onto it)."""

from __future__ import annotations

import os
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from textops.errors import ConfigError

__all__ = ["ENV_CONFIG", "LOOPBACK_NAMES", "ServeSettings"]

#: environment variable through which ``textops serve`` hands settings to uvicorn workers
ENV_CONFIG = "TEXTOPS_SERVE_CONFIG"


class ServeSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    model_uri: str = Field(
        description="models:/NAME@ALIAS, models:/NAME/VERSION or runs:/RUN/model"
    )
    tracking_uri: str | None = Field(
        None, description="MLflow tracking URI (default: $MLFLOW_TRACKING_URI or the home's sqlite)"
    )
    home: str | None = Field(
        None, description="textops home holding the monitor database (default: $TEXTOPS_HOME)"
    )
    host: str = Field("127.0.0.1", description="interface to bind (keep 127.0.0.1 unless proxied)")
    port: int = Field(8000, ge=0, le=65535, description="TCP port")
    workers: int = Field(1, ge=1, le=64, description="uvicorn worker processes (one model each)")
    api_key_env: str | None = Field(
        None,
        description="name of the environment variable that holds the API key; clients send it "
        "in the x-api-key header (predict, explain, generate, feedback, monitor reads)",
    )
    admin_key_env: str | None = Field(
        None,
        description="name of the environment variable that holds the admin key (reload, "
        "retrain, reviewed feedback); admin routes are off without it, and the API key never "
        "opens them",
    )
    review_keys_env: str | None = Field(
        None,
        description="name of the environment variable that holds reviewers' keys as "
        "NAME=KEY pairs separated by commas: a review key opens the review queue and its "
        "feedback is stored as reviewed by NAME; it opens nothing else an admin key does",
    )
    allowed_hosts: tuple[str, ...] | None = Field(
        None,
        description="host names the Host header may carry, or * for any (default: the loopback "
        "names when bound to loopback, which stops DNS rebinding; any otherwise)",
    )
    max_pending: int = Field(
        256,
        ge=1,
        description="requests in progress at once; more are answered 503 with Retry-After at "
        "once instead of queueing behind them",
    )
    max_connections: int = Field(
        10_000,
        ge=16,
        description="open connections per worker; at the cap, a new one replaces the oldest "
        "connection still waiting for its headers (or is closed when none is)",
    )
    header_timeout: float = Field(
        10.0, gt=0, le=300, description="seconds a client has to send a request's headers"
    )
    body_timeout: float = Field(
        30.0, gt=0, le=3600, description="seconds a client has to send a request's body"
    )
    max_batch_size: int = Field(64, ge=1, le=4096, description="texts per model call")
    max_wait_ms: float = Field(
        5.0, ge=0, le=1000, description="how long a batch waits for more requests under load"
    )
    max_texts: int = Field(256, ge=1, description="texts per request")
    max_chars: int = Field(20_000, ge=1, description="characters per text")
    long_text: Literal["reject", "truncate"] = Field(
        "reject", description="a text over max_chars: 413, or cut to max_chars"
    )
    max_body_bytes: int = Field(2_000_000, ge=1024, description="request body size")
    max_new_tokens: int = Field(
        256, ge=1, le=4096, description="new tokens per generated text (a generator's cap)"
    )
    poll_seconds: float = Field(
        30.0, ge=0, description="how often the registry alias is checked (0: never)"
    )
    backend: Literal["auto", "torch", "onnx"] = Field(
        "auto", description="encoder runtime: the version's ONNX export when it has one (auto)"
    )
    monitor: bool = Field(True, description="log predictions and accept feedback")
    monitor_db: str | None = Field(
        None, description="SQLAlchemy URL of the monitor database (default: sqlite in the home)"
    )
    log_text: bool = Field(False, description="store the texts themselves, not only hashes")
    perf_windows: tuple[str, ...] = Field(
        ("100", "1000", "1h", "24h"), description="live-metric windows: counts or durations"
    )
    monitor_buffer: int = Field(20_000, ge=1, description="records kept in memory before spilling")
    drift_window: int = Field(1000, ge=10, description="recent predictions drift compares")
    drift_seconds: float = Field(
        300.0, ge=0, description="how often drift is recomputed (0: only on request)"
    )
    alert_webhook: str | None = Field(None, description="URL that receives drift alerts (POST)")
    on_drift: Literal["alert", "retrain"] = Field(
        "alert",
        description="what a drift alert does: alert only, or also queue one `textops retrain` "
        "from feedback (never two at once; POST /v1/retrain queues one too)",
    )
    retrain_since: str = Field("7d", description="feedback window of a triggered retrain")
    retrain_set: tuple[str, ...] = Field(
        (), description="pipeline overrides of a triggered retrain (key=value)"
    )
    also_serve: tuple[str, ...] = Field(
        (),
        description="more models served next to model_uri, each at /v1/models/NAME/predict "
        "(and /explain, /feedback), with its own batcher and hot swap",
    )
    public_url: str | None = Field(
        None,
        description="the URL clients reach the service at, written as the OpenAPI servers entry "
        "(for --export-openapi: an LLM tool or action imports the spec with it)",
    )
    strict_env: bool = Field(
        False, description="refuse to serve when a numeric package differs from the model's lock"
    )

    def api_key(self) -> str | None:
        """The configured key, read from the environment (never stored in the settings)."""
        return _key(self.api_key_env, "--api-key-env")

    def admin_key(self) -> str | None:
        """The configured admin key (never the same as the API key)."""
        admin = _key(self.admin_key_env, "--admin-key-env")
        if admin is not None and admin == self.api_key():
            raise ConfigError(
                "--admin-key-env holds the same key as --api-key-env: give admins a key of "
                "their own (a client that can predict must not reload or retrain)"
            )
        return admin

    def review_keys(self) -> dict[str, str]:
        """Each reviewer's key, mapped to the reviewer's name (never the API or admin key)."""
        raw = _key(self.review_keys_env, "--review-keys-env")
        if raw is None:
            return {}
        found: dict[str, str] = {}
        for pair in raw.split(","):
            name, sep, key = pair.strip().partition("=")
            name, key = name.strip(), key.strip()
            if not sep or not _REVIEWER.match(name) or len(key) < 8 or key in found:
                raise ConfigError(
                    f"--review-keys-env {self.review_keys_env}: write NAME=KEY pairs separated "
                    "by commas (a name of letters, digits, '.', '_', '-' or '@'; a key of 8 "
                    "characters or more, each its own)"
                )
            found[key] = name
        if set(found) & {self.api_key(), self.admin_key()}:
            raise ConfigError("a review key is also the API or admin key: give reviewers their own")
        return found

    def hosts(self) -> tuple[str, ...] | None:
        """The Host names to accept, None for any."""
        if self.allowed_hosts is not None:
            return None if "*" in self.allowed_hosts else self.allowed_hosts
        return LOOPBACK_NAMES if self.host in LOOPBACK_NAMES else None


#: what a browser on this machine calls a loopback service (DNS rebinding sends another name)
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


_REVIEWER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,119}$")


def _key(env: str | None, flag: str) -> str | None:
    if env is None:
        return None
    value = os.environ.get(env, "")
    if not value:
        raise ConfigError(
            f"{flag} {env}: that environment variable is empty or unset; "
            f"export {env}=<a long random key> first"
        )
    return value
