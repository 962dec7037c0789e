"""The cron schedule parser (robfig/cron v1 ParseStandard semantics, UTC)."""

from __future__ import annotations

import calendar
import time

import pytest

from ktui.sim.controllers.cron import CronError, parse_standard


def ts(text: str) -> float:
    return float(calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S")))


def fmt(t: float | None) -> str | None:
    return None if t is None else time.strftime("%Y-%m-%d %H:%M:%S %a", time.gmtime(t))


def nexts(spec: str, start: str, count: int = 3) -> list[str | None]:
    schedule = parse_standard(spec)
    out: list[str | None] = []
    t: float | None = ts(start)
    for _ in range(count):
        assert t is not None
        t = schedule.next(t)
        out.append(fmt(t))
    return out


def test_every_minute_and_steps() -> None:
    assert nexts("* * * * *", "2020-09-13 12:26:40") == [
        "2020-09-13 12:27:00 Sun",
        "2020-09-13 12:28:00 Sun",
        "2020-09-13 12:29:00 Sun",
    ]
    assert nexts("*/15 * * * *", "2020-09-13 12:26:40") == [
        "2020-09-13 12:30:00 Sun",
        "2020-09-13 12:45:00 Sun",
        "2020-09-13 13:00:00 Sun",
    ]
    # "N/step" means N-max/step.
    assert nexts("10/20 * * * *", "2020-09-13 12:00:00") == [
        "2020-09-13 12:10:00 Sun",
        "2020-09-13 12:30:00 Sun",
        "2020-09-13 12:50:00 Sun",
    ]


def test_next_is_strictly_after() -> None:
    assert nexts("30 12 * * *", "2020-09-13 12:30:00", 1) == ["2020-09-14 12:30:00 Mon"]


def test_lists_ranges_and_names() -> None:
    assert nexts("5,10-12 * * * *", "2020-09-13 12:06:00", 4) == [
        "2020-09-13 12:10:00 Sun",
        "2020-09-13 12:11:00 Sun",
        "2020-09-13 12:12:00 Sun",
        "2020-09-13 13:05:00 Sun",
    ]
    assert nexts("0 9 * * MON-FRI", "2020-09-12 10:00:00", 2) == [
        "2020-09-14 09:00:00 Mon",
        "2020-09-15 09:00:00 Tue",
    ]
    assert nexts("0 0 1 jan,Jul *", "2020-09-13 00:00:00", 2) == [
        "2021-01-01 00:00:00 Fri",
        "2021-07-01 00:00:00 Thu",
    ]
    assert nexts("0 0 * * ?", "2020-09-13 00:00:00", 1) == ["2020-09-14 00:00:00 Mon"]


def test_day_of_month_and_week_combine_like_robfig() -> None:
    # Both restricted: either may match (the 13th, or a Friday).
    assert nexts("0 0 13 * 5", "2020-09-13 12:00:00", 3) == [
        "2020-09-18 00:00:00 Fri",
        "2020-09-25 00:00:00 Fri",
        "2020-10-02 00:00:00 Fri",
    ]
    assert nexts("0 0 13 * 5", "2020-10-10 00:00:00", 2) == [
        "2020-10-13 00:00:00 Tue",
        "2020-10-16 00:00:00 Fri",
    ]
    # A star in either: both must match.
    assert nexts("0 0 * * 5", "2020-09-13 12:00:00", 1) == ["2020-09-18 00:00:00 Fri"]
    # robfig/cron v1 (Kubernetes 1.20) keeps "*/2" a star: odd days that are Mondays.
    assert nexts("0 0 */2 * 1", "2020-09-01 00:00:00", 2) == [
        "2020-09-07 00:00:00 Mon",
        "2020-09-21 00:00:00 Mon",
    ]


def test_month_ends_and_impossible_dates() -> None:
    assert nexts("0 0 31 * *", "2020-09-13 00:00:00", 2) == [
        "2020-10-31 00:00:00 Sat",
        "2020-12-31 00:00:00 Thu",
    ]
    assert nexts("0 0 29 2 *", "2021-01-01 00:00:00", 1) == ["2024-02-29 00:00:00 Thu"]
    assert parse_standard("0 0 30 2 *").next(ts("2020-01-01 00:00:00")) is None


def test_macros() -> None:
    start = "2020-09-13 12:26:40"
    assert nexts("@hourly", start, 1) == ["2020-09-13 13:00:00 Sun"]
    assert nexts("@daily", start, 1) == ["2020-09-14 00:00:00 Mon"]
    assert nexts("@midnight", start, 1) == ["2020-09-14 00:00:00 Mon"]
    assert nexts("@weekly", start, 1) == ["2020-09-20 00:00:00 Sun"]
    assert nexts("@monthly", start, 1) == ["2020-10-01 00:00:00 Thu"]
    assert nexts("@yearly", start, 1) == ["2021-01-01 00:00:00 Fri"]
    assert nexts("@annually", start, 1) == ["2021-01-01 00:00:00 Fri"]
    assert nexts("@every 1h30m", start, 2) == ["2020-09-13 13:56:40 Sun", "2020-09-13 15:26:40 Sun"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "Empty spec string"),
        ("* * * *", "Expected exactly 5 fields, found 4: * * * *"),
        ("60 * * * *", "End of range (60) above maximum (59): 60"),
        ("* 24 * * *", "End of range (24) above maximum (23): 24"),
        ("* * 0 * *", "Beginning of range (0) below minimum (1): 0"),
        ("* * * * 7", "End of range (7) above maximum (6): 7"),
        ("5-1 * * * *", "Beginning of range (5) beyond end of range (1): 5-1"),
        ("1-2-3 * * * *", "Too many hyphens: 1-2-3"),
        ("*/2/3 * * * *", "Too many slashes: */2/3"),
        ("*/0 * * * *", "Step of range should be a positive number: */0"),
        ("x * * * *", "Failed to parse int from x"),
        ("@fortnightly", "Unrecognized descriptor: @fortnightly"),
    ],
)
def test_errors(spec: str, message: str) -> None:
    with pytest.raises(CronError) as info:
        parse_standard(spec)
    assert str(info.value).startswith(message)
