"""Ages and durations formatted exactly as kubectl prints them.

`human_duration` is a port of `HumanDuration` from k8s.io/apimachinery/pkg/util/duration, which
kubectl (and the API server's table printers) use for the AGE column, "(45s ago)" restart
suffixes and Job durations.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime
from typing import Any

UNKNOWN = "<unknown>"

_NANOS_PER_SECOND = 1_000_000_000
_NANOS_PER_MINUTE = 60 * _NANOS_PER_SECOND
_NANOS_PER_HOUR = 60 * _NANOS_PER_MINUTE

# RFC 3339 as the API server writes it: metav1.Time has second precision, metav1.MicroTime six
# fractional digits; other writers may add up to nine. Offsets other than Z are legal RFC 3339.
_RFC3339 = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<time>\d{2}:\d{2}:\d{2})"
    r"(?:\.(?P<fraction>\d+))?(?P<zone>[Zz]|[+-]\d{2}:\d{2})$"
)


def _truncated_div(numerator: int, denominator: int) -> int:
    """Integer division rounding toward zero, as Go's integer division and int() conversions do."""
    quotient = abs(numerator) // denominator
    return quotient if numerator >= 0 else -quotient


def human_duration(seconds: float) -> str:
    """Format a duration as kubectl does: "119s", "2m", "9m59s", "3h5m", "47h", "2d3h", "3y45d".

    Precision falls as the duration grows (about 2-3 significant figures). Durations slightly
    negative (down to -1.999s, clock skew between machines) print as "0s"; more negative ones as
    "<invalid>".
    """
    # Go's time.Duration is an int64 of nanoseconds and every step below truncates toward zero.
    nanos = int(seconds * _NANOS_PER_SECOND)
    whole_seconds = _truncated_div(nanos, _NANOS_PER_SECOND)
    if whole_seconds < -1:
        return "<invalid>"
    if whole_seconds < 0:
        return "0s"
    if whole_seconds < 60 * 2:
        return f"{whole_seconds}s"
    minutes = nanos // _NANOS_PER_MINUTE
    if minutes < 10:
        remaining_seconds = whole_seconds % 60
        if remaining_seconds == 0:
            return f"{minutes}m"
        return f"{minutes}m{remaining_seconds}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = nanos // _NANOS_PER_HOUR
    if hours < 8:
        remaining_minutes = minutes % 60
        if remaining_minutes == 0:
            return f"{hours}h"
        return f"{hours}h{remaining_minutes}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        remaining_hours = hours % 24
        if remaining_hours == 0:
            return f"{hours // 24}d"
        return f"{hours // 24}d{remaining_hours}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days_into_year = (hours // 24) % 365
        if days_into_year == 0:
            return f"{hours // 24 // 365}y"
        return f"{hours // 24 // 365}y{days_into_year}d"
    return f"{hours // 24 // 365}y"


def parse_time(value: Any) -> datetime | None:
    """Parse an RFC 3339 timestamp from the API ("2024-05-01T12:00:00Z") into an aware UTC datetime.

    Returns None for None, non-strings, empty strings and anything that is not RFC 3339, so callers
    can treat "missing" and "unreadable" alike, as kubectl treats a zero time.
    """
    if not isinstance(value, str):
        return None
    return _parse_rfc3339(value)


@functools.lru_cache(maxsize=16384)
def _parse_rfc3339(value: str) -> datetime | None:
    # Memoised: the same few timestamps (a pod's creation, a churn's second) are parsed again on
    # every change of every pod, and the result (an aware datetime, or None) is immutable.
    match = _RFC3339.match(value.strip())
    if match is None:
        return None
    fraction = (match.group("fraction") or "")[:6]
    zone = match.group("zone")
    offset = "+00:00" if zone in ("Z", "z") else zone
    text = f"{match.group('date')}T{match.group('time')}"
    if fraction:
        text += "." + fraction.ljust(6, "0")
    try:
        parsed = datetime.fromisoformat(text + offset)
    except ValueError:
        return None
    return parsed.astimezone(UTC)


def as_utc(moment: datetime) -> datetime:
    """An aware datetime in UTC; naive datetimes are taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def seconds_between(earlier: datetime, later: datetime) -> float:
    return (as_utc(later) - as_utc(earlier)).total_seconds()


def since(moment: datetime | None, now: datetime) -> str:
    """kubectl's translateTimestampSince for an already-parsed time: "<unknown>" when missing."""
    if moment is None:
        return UNKNOWN
    return human_duration(seconds_between(moment, now))


def age(timestamp: str | None, now: datetime) -> str:
    """The AGE column for an RFC 3339 timestamp: "<unknown>" when missing or unreadable."""
    return since(parse_time(timestamp), now)


def format_time(moment: datetime) -> str:
    """A UTC timestamp in the API's own RFC 3339 form, e.g. "2024-05-01T12:00:00Z"."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
