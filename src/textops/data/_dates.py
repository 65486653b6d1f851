"""A date column's values as ISO 8601 (``created_at``): exports write dates every way there is
(``Mon Apr 06 22:19:45 PDT 2009``, ``06/04/2009 22:19``, epoch seconds), and what a dataset
stores should sort and compare as dates."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from functools import lru_cache

__all__ = ["iso_date"]

#: the time-zone abbreviations dateutil does not know by itself (US exports, tweets)
_ZONES = {
    "UTC": 0, "GMT": 0, "Z": 0,
    "EST": -5 * 3600, "EDT": -4 * 3600, "CST": -6 * 3600, "CDT": -5 * 3600,
    "MST": -7 * 3600, "MDT": -6 * 3600, "PST": -8 * 3600, "PDT": -7 * 3600,
    "CET": 3600, "CEST": 7200, "BST": 3600,
}  # fmt: skip


@lru_cache(maxsize=65536)
def iso_date(value: str) -> str:
    """``value`` as an ISO 8601 date-time when it reads as one (epoch seconds or milliseconds
    too), else ``value`` as it was: nothing of the user's is thrown away."""
    raw = value.strip()
    if not raw:
        return value
    if raw.isdigit() and 9 <= len(raw) <= 13:  # epoch seconds or milliseconds
        seconds = int(raw) / (1000 if len(raw) > 11 else 1)
        return datetime.fromtimestamp(seconds, UTC).isoformat()
    try:
        return datetime.fromisoformat(raw).isoformat()
    except ValueError:
        pass
    from dateutil import parser

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an unknown zone name: read without the zone
            return str(parser.parse(raw, tzinfos=_ZONES).isoformat())
    except (ValueError, OverflowError, parser.ParserError):
        return value
