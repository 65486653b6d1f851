"""Prediction ids that carry what feedback needs, signed so they cannot be forged.

Predictions are logged asynchronously (the request path only appends to a buffer), so a
service killed at the wrong moment loses the last records it answered. Feedback for such a
prediction must still be accepted after a restart: the id itself says which model and version
made it, which label it predicted and when, under a keyed hash (BLAKE2b) with a secret kept in
the home. A valid id is a prediction this service made; a feedback row for it is stored with
a stub of the prediction when the logged row never arrived.

Layout (30 bytes, 40 characters of URL-safe base64): format 1 B, nonce 7 B, model-name tag
3 B, version 3 B, label index 2 B, unix seconds 4 B, MAC 10 B.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import random
import struct
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PredictionIds", "SignedPrediction", "name_tag"]

_FORMAT = 1
_MAC = 10
_TAIL = struct.Struct(">HI")  # label index, unix seconds
_LEN = 30


def name_tag(name: str) -> bytes:
    """Three bytes naming a model (by its registered name or its URI)."""
    return hashlib.blake2b(name.encode("utf-8", "surrogatepass"), digest_size=3).digest()


def _version_number(version: str | None) -> int:
    try:
        number = int(str(version))
    except (TypeError, ValueError):
        return 0
    return number if 0 < number < 1 << 24 else 0


@dataclass(frozen=True)
class SignedPrediction:
    """What a verified id says: the model (its tag), its version number (0: not a registered
    version), the index of the predicted label and when."""

    tag: bytes
    version: int
    label_index: int
    ts: float


class PredictionIds:
    """Makes and checks signed prediction ids with the secret in ``secret_file`` (created on
    first use, readable by its owner only; every worker of a home shares it)."""

    def __init__(self, secret_file: Path) -> None:
        self._key = _load_secret(secret_file)
        # keyed once; each id copies it (cheaper than keying a new hash per id)
        self._mac = hashlib.blake2b(key=self._key, digest_size=_MAC)
        # nonces only need to be unique (the MAC is what cannot be forged): a generator seeded
        # from the OS, without a system call per prediction on the request path
        self._nonces = random.Random(os.urandom(32))
        self._prefix: dict[tuple[str, str | None], bytes] = {}

    def new(self, model_name: str, version: str | None, label_indices: list[int]) -> list[str]:
        """One id per predicted label index."""
        prefix = self._prefix.get((model_name, version))
        if prefix is None:
            prefix = name_tag(model_name) + _version_number(version).to_bytes(3, "big")
            self._prefix[(model_name, version)] = prefix
        now = int(time.time()) & 0xFFFFFFFF
        nonces = self._nonces.randbytes(7 * len(label_indices))
        head = bytes([_FORMAT])
        out = []
        for i, label in enumerate(label_indices):
            body = head + nonces[7 * i : 7 * i + 7] + prefix + _TAIL.pack(label & 0xFFFF, now)
            mac = self._mac.copy()
            mac.update(body)
            out.append(base64.urlsafe_b64encode(body + mac.digest()).decode("ascii"))
        return out

    def check(self, prediction_id: str) -> SignedPrediction | None:
        """What ``prediction_id`` says when this service signed it; None otherwise (an id of
        another format, another home's secret, or a forgery)."""
        if len(prediction_id) != 40:
            return None
        try:
            raw = base64.urlsafe_b64decode(prediction_id.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            return None
        if len(raw) != _LEN or raw[0] != _FORMAT:
            return None
        body, mac = raw[:-_MAC], raw[-_MAC:]
        good = hashlib.blake2b(body, key=self._key, digest_size=_MAC).digest()
        if not hmac.compare_digest(mac, good):
            return None
        label, ts = _TAIL.unpack(body[14:20])
        return SignedPrediction(body[8:11], int.from_bytes(body[11:14], "big"), label, float(ts))


def _load_secret(path: Path) -> bytes:
    """The home's id secret, made once: written whole under a name of this process's own,
    then linked into place (atomic; when two workers start together, the first link wins and
    both read it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, os.urandom(32))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    key = path.read_bytes()
    if len(key) != 32:
        from textops.errors import ConfigError

        raise ConfigError(f"the prediction-id secret {path} is damaged; delete it and restart")
    return key
