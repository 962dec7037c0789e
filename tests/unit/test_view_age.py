"""human_duration against apimachinery's duration.HumanDuration, branch by branch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ktui.view.age import age, format_time, human_duration, parse_time

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR
YEAR = 365 * DAY


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        # seconds < -1 -> "<invalid>"; -1 < seconds < 0 (after truncation toward zero) -> "0s"
        (-2, "<invalid>"),
        (-1.5, "0s"),
        (-1, "0s"),
        (-0.4, "0s"),
        # seconds < 120 -> "%ds"
        (0, "0s"),
        (0.9, "0s"),
        (59, "59s"),
        (119, "119s"),
        (119.999, "119s"),
        # minutes < 10 -> "%dm%ds", or "%dm" on a whole minute
        (120, "2m"),
        (121, "2m1s"),
        (9 * MINUTE + 59, "9m59s"),
        # minutes < 180 -> "%dm"
        (10 * MINUTE, "10m"),
        (10 * MINUTE + 59, "10m"),
        (3 * HOUR - 1, "179m"),
        # hours < 8 -> "%dh%dm", or "%dh" on a whole hour
        (3 * HOUR, "3h"),
        (3 * HOUR + MINUTE, "3h1m"),
        (8 * HOUR - 1, "7h59m"),
        # hours < 48 -> "%dh"
        (8 * HOUR, "8h"),
        (48 * HOUR - 1, "47h"),
        # hours < 8 days -> "%dd%dh", or "%dd" on a whole day
        (48 * HOUR, "2d"),
        (2 * DAY + 3 * HOUR, "2d3h"),
        (8 * DAY - 1, "7d23h"),
        # hours < 2 years -> "%dd"
        (8 * DAY, "8d"),
        (2 * YEAR - 1, "729d"),
        # hours < 8 years -> "%dy%dd", or "%dy" on a whole year
        (2 * YEAR, "2y"),
        (2 * YEAR + 45 * DAY, "2y45d"),
        (8 * YEAR - 1, "7y364d"),
        # else "%dy"
        (8 * YEAR, "8y"),
        (9 * YEAR + 200 * DAY, "9y"),
    ],
)
def test_human_duration_matches_kubectl(seconds: float, expected: str) -> None:
    assert human_duration(seconds) == expected


NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def test_parse_time_reads_api_timestamps() -> None:
    assert parse_time("2025-03-01T11:59:00Z") == datetime(2025, 3, 1, 11, 59, tzinfo=UTC)
    # metav1.MicroTime (eventTime) and nanosecond precision from other writers
    assert parse_time("2025-03-01T11:59:00.123456Z") == datetime(
        2025, 3, 1, 11, 59, 0, 123456, tzinfo=UTC
    )
    assert parse_time("2025-03-01T11:59:00.123456789Z") == datetime(
        2025, 3, 1, 11, 59, 0, 123456, tzinfo=UTC
    )
    assert parse_time("2025-03-01T13:59:00+02:00") == datetime(2025, 3, 1, 11, 59, tzinfo=UTC)


@pytest.mark.parametrize("value", [None, "", "yesterday", "2025-03-01", "2025-03-01T11:59:00", 17])
def test_parse_time_rejects_what_is_not_rfc3339(value: object) -> None:
    assert parse_time(value) is None


def test_age_is_human_duration_since_the_timestamp() -> None:
    assert age("2025-03-01T11:59:15Z", NOW) == "45s"
    assert age("2025-02-27T09:00:00Z", NOW) == "2d3h"


def test_age_of_missing_or_unreadable_timestamp_is_unknown() -> None:
    assert age(None, NOW) == "<unknown>"
    assert age("not a time", NOW) == "<unknown>"


def test_age_of_a_future_timestamp_is_invalid_beyond_clock_skew() -> None:
    assert age("2025-03-01T12:00:01Z", NOW) == "0s"
    assert age("2025-03-01T12:00:05Z", NOW) == "<invalid>"


def test_age_accepts_now_in_any_timezone_or_naive_utc() -> None:
    plus_two = NOW.astimezone(timezone(timedelta(hours=2)))
    assert age("2025-03-01T11:59:15Z", plus_two) == "45s"
    assert age("2025-03-01T11:59:15Z", NOW.replace(tzinfo=None)) == "45s"


def test_format_time_writes_rfc3339_utc() -> None:
    assert format_time(datetime(2025, 3, 1, 13, 0, tzinfo=timezone(timedelta(hours=1)))) == (
        "2025-03-01T12:00:00Z"
    )
