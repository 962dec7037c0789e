"""Go-compatible formatting: `%q`, `time.RFC3339`, `text/tabwriter`, `strconv.ParseInt` and
`json.Marshal` of a decoded map, for output that matches kubectl byte for byte."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, Final

__all__ = ["canonical_json", "go_quote", "go_rfc3339", "parse_go_int64", "tabwriter"]

_GO_INT: Final = re.compile(r"[+-]?[0-9]+")
_INT64_MAX: Final = 2**63 - 1


def parse_go_int64(text: str) -> int:
    """strconv.ParseInt(text, 10, 64); ValueError carrying Go's error text on failure."""
    if not _GO_INT.fullmatch(text):
        raise ValueError(f"strconv.ParseInt: parsing {go_quote(text)}: invalid syntax")
    value = int(text)
    if not -_INT64_MAX - 1 <= value <= _INT64_MAX:
        raise ValueError(f"strconv.ParseInt: parsing {go_quote(text)}: value out of range")
    return value


def canonical_json(value: Any) -> str:
    """Go's json.Marshal of a decoded map: sorted keys, no spaces (for byte comparisons)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


_GO_ESCAPES: Final = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def go_quote(text: str) -> str:
    """Go's %q / strconv.Quote of a string."""
    out = ['"']
    for ch in text:
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def go_rfc3339(moment: dt.datetime) -> str:
    """time.Time.Format(time.RFC3339): whole seconds, "Z" for UTC, else "+hh:mm".

    A naive datetime is taken as local time, as Go's time.Now() is.
    """
    aware = moment if moment.tzinfo is not None else moment.astimezone()
    offset = aware.utcoffset() or dt.timedelta(0)
    stamp = aware.strftime("%Y-%m-%dT%H:%M:%S")
    if offset == dt.timedelta(0):
        return stamp + "Z"
    total_minutes = int(offset.total_seconds()) // 60
    sign = "+" if total_minutes >= 0 else "-"
    hours, minutes = divmod(abs(total_minutes), 60)
    return f"{stamp}{sign}{hours:02d}:{minutes:02d}"


def tabwriter(text: str, *, minwidth: int = 0, padding: int = 2) -> str:
    """Go's text/tabwriter with padchar ' ' and no flags, as kubectl's tabbedString uses it.

    Cells are tab-terminated; the text after a line's last tab is not part of any column. A
    column's width is the widest cell of the run of adjacent lines that have that column.
    """
    lines = [line.split("\t") for line in text.split("\n")]
    out: list[str] = []
    widths: list[int] = []

    def write_lines(line0: int, line1: int) -> None:
        for index in range(line0, line1):
            cells = lines[index]
            parts: list[str] = []
            for column, cell in enumerate(cells):
                parts.append(cell)
                if column < len(widths) and column < len(cells) - 1:
                    parts.append(" " * (widths[column] - len(cell)))
            out.append("".join(parts))

    def format_block(line0: int, line1: int) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            write_lines(line0, this)
            line0 = this
            width = minwidth
            while this < line1 and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + padding)
                this += 1
            widths.append(width)
            format_block(line0, this)
            widths.pop()
            line0 = this
        write_lines(line0, line1)

    format_block(0, len(lines))
    return "\n".join(out)
