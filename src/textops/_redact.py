"""Credentials out of everything textops records: configs logged to MLflow (params and
artifacts), log lines, ``--json`` output and pipeline state.

A config may carry secrets in two shapes: a URL with a password or a token
(``postgresql://user:pw@host/db``, ``https://host/data.csv?token=...``), and a mapping entry
named like a secret (``storage_options: {key: ..., secret: ...}``, ``password: ...``). Both are
replaced by ``***``; everything else is kept, so a logged config still says where data came
from and as whom.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TypeVar, cast

__all__ = ["MASK", "redact", "redact_text", "redact_url"]

MASK = "***"

#: mapping keys whose values are secrets (``key`` alone only inside storage options: it is
#: s3fs's access key id there, and an ordinary word elsewhere)
_SECRET_KEY = re.compile(
    r"(?i)^(.*[_-])?(password|passwd|pwd|secret|token|credentials?|api[_-]?key|access[_-]?key"
    r"|secret[_-]?key|session[_-]?token|private[_-]?key|signature|sas)$"
)
_STORAGE_SECRET = frozenset({"key", "secret", "token", "password", "sas_token", "account_key"})
#: ``scheme://user:password@`` in any text
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@?#]*:)[^\s@/?#]+@")
#: ``?token=...`` / ``&X-Amz-Signature=...`` query parameters that carry a secret
_QUERY_SECRET = re.compile(
    r"(?i)(?P<head>[?&](?:[^=&\s#]*[_-])?(?:token|key|secret|password|signature|sig|credential)"
    r"=)[^&\s#]+"
)


def redact_url(url: str) -> str:
    """``url`` with its password and secret query parameters masked."""
    return redact_text(url)


def redact_text(text: str) -> str:
    """Every URL password and secret query parameter in ``text`` masked (log lines, error
    messages, single values)."""
    if "://" not in text and "=" not in text:
        return text
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK + "@", text)
    return _QUERY_SECRET.sub(lambda m: m.group("head") + MASK, text)


#: fields that hold the user's own texts (predictions, generations): data, not config, and
#: never rewritten
USER_TEXT = frozenset({"text", "texts", "prompt", "prompts", "generations", "words"})


T = TypeVar("T")


def redact(value: T, *, _storage: bool = False) -> T:
    """A copy of ``value`` (JSON-like: mappings, lists, strings, numbers) with secrets masked
    (the user's texts under :data:`USER_TEXT` fields are left as they are); of the same
    shape, so of the same type."""
    return cast(T, _redact(value, _storage))


def _redact(value: object, _storage: bool) -> object:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        out: dict[object, object] = {}
        for key, item in value.items():
            name = str(key)
            secret = _SECRET_KEY.match(name) or (_storage and name.lower() in _STORAGE_SECRET)
            if secret and item not in (None, "", {}, []):
                out[key] = MASK
            elif name in USER_TEXT:
                out[key] = item
            else:
                out[key] = _redact(item, name == "storage_options")
        return out
    if isinstance(value, list | tuple):
        return type(value)(_redact(v, False) for v in value)
    return value
