"""Cron schedules as kube-controller-manager v1.20 reads them (github.com/robfig/cron v1,
`cron.ParseStandard`), evaluated in UTC.

    schedule = parse_standard("*/15 9-17 * * MON-FRI")
    schedule.next(t)          # the first activation strictly after epoch second t (None if none
                              # within five years)

Five fields — minute (0-59), hour (0-23), day of month (1-31), month (1-12 or JAN-DEC),
day of week (0-6 or SUN-SAT) — each a comma list of `*` / `?`, `N`, `N-M`, with an optional
`/step` (`N/step` means N-max/step). As in robfig/cron, when either day field is a star the
day must match both fields, otherwise either. Macros: @yearly/@annually, @monthly, @weekly,
@daily/@midnight, @hourly, and `@every <duration>` (Go duration syntax, e.g. `1h30m`).
Errors raise `CronError` with robfig's messages.
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

STAR_BIT = 1 << 63

_MONTHS = {
    name: i + 1
    for i, name in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_DAYS = {name: i for i, name in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}


class CronError(ValueError):
    pass


@dataclass(frozen=True)
class _Bounds:
    low: int
    high: int
    names: dict[str, int] | None = None


_MINUTES = _Bounds(0, 59)
_HOURS = _Bounds(0, 23)
_DOM = _Bounds(1, 31)
_MONTH = _Bounds(1, 12, _MONTHS)
_DOW = _Bounds(0, 6, _DAYS)


def _bits(low: int, high: int, step: int) -> int:
    if step == 1:
        return ~(~0 << (high + 1)) & (~0 << low)
    bits = 0
    for i in range(low, high + 1, step):
        bits |= 1 << i
    return bits


def _all(bounds: _Bounds) -> int:
    return _bits(bounds.low, bounds.high, 1) | STAR_BIT


def _parse_int(text: str) -> int:
    if not re.fullmatch(r"[0-9]+", text):
        raise CronError(
            f"Failed to parse int from {text}: strconv.Atoi: parsing {text!r}: invalid syntax"
        )
    return int(text)


def _int_or_name(text: str, names: dict[str, int] | None) -> int:
    if names is not None and text.lower() in names:
        return names[text.lower()]
    return _parse_int(text)


def _range(expr: str, bounds: _Bounds) -> int:
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    single = len(low_and_high) == 1
    extra = 0
    if low_and_high[0] in ("*", "?"):
        start, end = bounds.low, bounds.high
        extra = STAR_BIT
    else:
        start = _int_or_name(low_and_high[0], bounds.names)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _int_or_name(low_and_high[1], bounds.names)
        else:
            raise CronError(f"Too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _parse_int(range_and_step[1])
        if single:
            end = bounds.high
    else:
        raise CronError(f"Too many slashes: {expr}")
    if start < bounds.low:
        raise CronError(f"Beginning of range ({start}) below minimum ({bounds.low}): {expr}")
    if end > bounds.high:
        raise CronError(f"End of range ({end}) above maximum ({bounds.high}): {expr}")
    if start > end:
        raise CronError(f"Beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"Step of range should be a positive number: {expr}")
    return _bits(start, end, step) | extra


def _field(text: str, bounds: _Bounds) -> int:
    bits = 0
    for expr in text.split(","):
        bits |= _range(expr, bounds)
    return bits


class Schedule:
    def next(self, t: float) -> float | None:
        raise NotImplementedError


@dataclass(frozen=True)
class SpecSchedule(Schedule):
    minute: int
    hour: int
    dom: int
    month: int
    dow: int

    def _day_matches(self, day: datetime) -> bool:
        dom_match = bool((1 << day.day) & self.dom)
        dow_match = bool((1 << ((day.weekday() + 1) % 7)) & self.dow)
        if self.dom & STAR_BIT or self.dow & STAR_BIT:
            return dom_match and dow_match
        return dom_match or dow_match

    def next(self, t: float) -> float | None:
        """robfig/cron SpecSchedule.Next, in UTC."""
        current = datetime.fromtimestamp(math.floor(t) + 1, UTC)
        added = False
        year_limit = current.year + 5
        while True:
            if current.year > year_limit:
                return None
            wrapped = False
            while not (1 << current.month) & self.month:
                if not added:
                    added = True
                    current = current.replace(day=1, hour=0, minute=0, second=0)
                current = _add_month(current)
                if current.month == 1:
                    wrapped = True
                    break
            if wrapped:
                continue
            while not self._day_matches(current):
                if not added:
                    added = True
                    current = current.replace(hour=0, minute=0, second=0)
                current = current + timedelta(days=1)
                if current.day == 1:
                    wrapped = True
                    break
            if wrapped:
                continue
            while not (1 << current.hour) & self.hour:
                if not added:
                    added = True
                    current = current.replace(minute=0, second=0)
                current = current + timedelta(hours=1)
                if current.hour == 0:
                    wrapped = True
                    break
            if wrapped:
                continue
            while not (1 << current.minute) & self.minute:
                if not added:
                    added = True
                    current = current.replace(second=0)
                current = current + timedelta(minutes=1)
                if current.minute == 0:
                    wrapped = True
                    break
            if wrapped:
                continue
            while current.second != 0:
                if not added:
                    added = True
                current = current + timedelta(seconds=1)
                if current.second == 0:
                    wrapped = True
                    break
            if wrapped:
                continue
            return current.timestamp()


def _add_month(value: datetime) -> datetime:
    """time.AddDate(0, 1, 0) from the first of a month."""
    year, month = (value.year + 1, 1) if value.month == 12 else (value.year, value.month + 1)
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class ConstantDelaySchedule(Schedule):
    delay: float

    def next(self, t: float) -> float | None:
        return float(math.floor(t)) + self.delay


_DURATION_RE = re.compile(r"([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """time.ParseDuration (without a sign)."""
    if text == "0":
        return 0.0
    pos = 0
    total = 0.0
    if not text:
        raise CronError(f'time: invalid duration "{text}"')
    while pos < len(text):
        match = _DURATION_RE.match(text, pos)
        if match is None:
            raise CronError(f'time: invalid duration "{text}"')
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    return total


def _descriptor(spec: str) -> Schedule:
    if spec in ("@yearly", "@annually"):
        return SpecSchedule(1, 1, 1 << 1, 1 << 1, _all(_DOW))
    if spec == "@monthly":
        return SpecSchedule(1, 1, 1 << 1, _all(_MONTH), _all(_DOW))
    if spec == "@weekly":
        return SpecSchedule(1, 1, _all(_DOM), _all(_MONTH), 1 << 0)
    if spec in ("@daily", "@midnight"):
        return SpecSchedule(1, 1, _all(_DOM), _all(_MONTH), _all(_DOW))
    if spec == "@hourly":
        return SpecSchedule(1, _all(_HOURS), _all(_DOM), _all(_MONTH), _all(_DOW))
    every = "@every "
    if spec.startswith(every):
        try:
            duration = parse_duration(spec[len(every) :])
        except CronError as exc:
            raise CronError(f"Failed to parse duration {spec}: {exc}") from None
        # Delays below a second are rounded up to one; sub-second parts are dropped.
        return ConstantDelaySchedule(max(float(math.floor(duration)), 1.0))
    raise CronError(f"Unrecognized descriptor: {spec}")


def parse_standard(spec: str) -> Schedule:
    """cron.ParseStandard."""
    if not spec:
        raise CronError("Empty spec string")
    if spec.startswith("@"):
        return _descriptor(spec)
    fields = spec.split()
    if len(fields) != 5:
        raise CronError(f"Expected exactly 5 fields, found {len(fields)}: {spec}")
    return SpecSchedule(
        minute=_field(fields[0], _MINUTES),
        hour=_field(fields[1], _HOURS),
        dom=_field(fields[2], _DOM),
        month=_field(fields[3], _MONTH),
        dow=_field(fields[4], _DOW),
    )
