"""Date-time helpers: UTC whole seconds out, strict DateTimeZ in."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache

from badges.errors import BadgeBuildError

# XML Schema dateTime with a mandatory zone, as OB 3.0 DateTimeZ requires.
_DATETIME_Z = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})", re.ASCII
)


def utc_seconds(value: datetime, field: str) -> datetime:
    """Return ``value`` in UTC with microseconds dropped.

    :raises BadgeBuildError: ``build.naive_datetime`` if ``value`` has no time zone.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise BadgeBuildError("build.naive_datetime", {"field": field})
    return value.astimezone(UTC).replace(microsecond=0)


def format_z(value: datetime, field: str = "datetime") -> str:
    """Format an aware datetime as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC, whole seconds)."""
    return utc_seconds(value, field).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime_z(value: object) -> datetime | None:
    """Parse an OB DateTimeZ string; return an aware UTC datetime or None if invalid."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    return _parse_datetime_z(value)


@lru_cache(maxsize=4096)
def _parse_datetime_z(value: str) -> datetime | None:
    if not _DATETIME_Z.fullmatch(value):
        return None
    text = value
    frac = re.search(r"\.(\d+)", text)
    if frac and len(frac.group(1)) > 6:  # fromisoformat accepts at most microseconds
        text = text.replace(frac.group(0), "." + frac.group(1)[:6])
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(UTC)


def datetime_z_seconds(value: object) -> int | None:
    """:func:`parse_datetime_z` as whole seconds since the epoch (floored), or None."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    return _datetime_z_seconds(value)


@lru_cache(maxsize=4096)
def _datetime_z_seconds(value: str) -> int | None:
    parsed = _parse_datetime_z(value)
    return None if parsed is None else int(parsed.timestamp() // 1)


def to_numeric_date(value: datetime) -> int:
    """Seconds since the epoch (JWT NumericDate), flooring sub-seconds."""
    return int(value.astimezone(UTC).timestamp() // 1)


def from_numeric_date(value: int) -> datetime:
    """Inverse of :func:`to_numeric_date`."""
    return datetime.fromtimestamp(value, UTC)
