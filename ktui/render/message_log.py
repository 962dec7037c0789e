"""The message log (`:messages`): every toast ktui raised this run, as table rows.

A toast goes after a few seconds; during an incident the error it carried (an undo refused,
a namespace that does not exist) must still be there to read when the user looks back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from rich.text import Text

from ktui.render.cells import TimeCell
from ktui.render.header import clock_time
from ktui.render.panes import Column, Row
from ktui.render.safe import safe_text

Severity = Literal["information", "warning", "error"]
"""Textual's `SeverityLevel`, spelt out: this module does not import textual."""

MESSAGE_LOG_LIMIT = 500
"""The messages kept (the oldest go first): a run's worth, a few hundred bytes each."""


@dataclass(frozen=True)
class LoggedMessage:
    """One toast as it was raised: when (the app's clock), how severe, and what it said."""

    serial: int
    """Its place in the run's messages (1 the first): the newest has the highest."""
    at: datetime
    severity: Severity
    message: str
    """As it was said (not escaped: drawn through `ktui.render.safe`)."""
    title: str = ""


MESSAGE_COLUMNS = [
    Column("time", "TIME"),
    Column("level", "LEVEL", min_width=7),
    Column("message", "MESSAGE", min_width=20, max_width=400, flexible=True),
    Column("age", "AGE", justify="right"),
]

_LEVEL: Mapping[Severity, tuple[str, str]] = {
    "error": ("✖ error", "bold red"),
    "warning": ("▲ warning", "yellow"),
    "information": ("● info", "grey62"),
}


def message_cells(logged: LoggedMessage) -> Row:
    label, style = _LEVEL[logged.severity]
    words = f"{logged.title}: {logged.message}" if logged.title else logged.message
    return (
        clock_time(logged.at),
        Text(label, style=style),
        # One line in the table (the table escapes what is left); the line below has it whole.
        " ".join(words.replace("\r", "\n").split("\n")),
        TimeCell(logged.at),
    )


def message_text(logged: LoggedMessage) -> Text:
    """The message under the cursor, whole, for the line below the table."""
    label, style = _LEVEL[logged.severity]
    text = Text(f"{clock_time(logged.at)}  ", style="bold")
    text.append(label, style=style)
    text.append("  ")
    if logged.title:
        text.append_text(safe_text(f"{logged.title}: ", "bold"))
    text.append_text(safe_text(logged.message, keep_newlines=True))
    return text


def message_log_title(count: int, dropped: int) -> Text:
    """ "Messages  12 this run", and how many of the oldest are no longer kept."""
    title = Text("Messages", style="bold")
    title.append(f"  {count} this run" if count else "  none yet", style="grey62")
    if dropped:
        title.append(f" · the oldest {dropped} no longer kept", style="grey62")
    return title
