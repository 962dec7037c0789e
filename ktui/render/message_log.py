"""The message log (`:messages`): every toast ktui raised this run, as table rows.

A toast goes after a few seconds; during an incident the error it carried (an undo refused,
a namespace that does not exist) must still be there to read when the user looks back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from rich.text import Text

from ktui.cluster.state import CachePhase, CacheState
from ktui.render.cells import TimeCell
from ktui.render.header import clock_time, kinds_text
from ktui.render.panes import Column, Row
from ktui.render.safe import safe_text
from ktui.view.age import since

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


class WatchLog:
    """What `:messages` keeps of the watches' states (the header shows only the state now):
    an outage when it starts (the watches that went down or fell silent, in one message)
    and when every watch is current again (for how long it lasted), and each refusal or
    failure (403, 401, an error) once, until that watch is fine again. A watch reconnecting
    again and again, or the rest going down one by one during the outage, is not news."""

    def __init__(self) -> None:
        self.down_since: datetime | None = None
        """When the current outage started (a watch went down or silent), None when none."""
        self._out_of_date: set[str] = set()
        """The watches that were down or silent during the current outage."""
        self._refused: dict[str, str] = {}
        """Kind -> the refusal or failure said for it (said again only when it changes)."""

    def said(
        self,
        changed: Mapping[str, CacheState],
        states: Mapping[str, CacheState],
        now: datetime,
    ) -> list[tuple[Severity, str]]:
        """The messages for one batch: `changed`, the kinds whose state it changed; `states`,
        every watch's state after it."""
        outage: dict[str, list[str]] = {}
        started: list[datetime] = []
        """When the watches of `outage` stopped being current (the cache's own moments)."""
        refused: dict[tuple[str, Severity], list[str]] = {}
        for kind, state in changed.items():
            if state.phase in (CachePhase.FORBIDDEN, CachePhase.ERROR):
                why = (
                    f"{state.phase.value}: {state.message}" if state.message else state.phase.value
                )
                if self._refused.get(kind) != why:
                    self._refused[kind] = why
                    refused.setdefault((why, "error"), []).append(kind)
                continue
            if state.phase is CachePhase.LIVE and state.stale_since is None:
                # Fine again: a refusal after this is news. (Reconnecting or listing is not
                # fine: a watch denied before and after an outage is said once.)
                self._refused.pop(kind, None)
            if self.down_since is not None:
                continue
            if state.phase is CachePhase.RECONNECTING:
                what = "reconnecting" + (f": {state.message}" if state.message else "")
                outage.setdefault(what, []).append(kind)
                started.append(state.since)
            elif state.phase is CachePhase.LIVE and state.stale_since is not None:
                silent = f"silent since {clock_time(state.stale_since)}: what they show may be"
                outage.setdefault(silent + " out of date", []).append(kind)
                started.append(state.stale_since)

        said: list[tuple[Severity, str]] = []
        if outage:
            self.down_since = min(started, default=now)
            said += [
                ("warning", f"watches {kinds_text(k, states)} {what}") for what, k in outage.items()
            ]
        said += [
            ("error", f"watches {kinds_text(k, states)} {why}") for (why, _), k in refused.items()
        ]
        # Listing counts as not current yet: a namespace switch mid-outage starts every watch
        # listing again, which is not the link healed.
        transient = [
            k
            for k, s in states.items()
            if s.phase in (CachePhase.RECONNECTING, CachePhase.SYNCING)
            or (s.phase is CachePhase.LIVE and s.stale_since is not None)
        ]
        if self.down_since is not None:
            self._out_of_date.update(transient)
        if self.down_since is not None and not transient:
            lasted = since(self.down_since, now)
            # The start named the first watches to go; the rest often follow one by one.
            out = [k for k in states if k in self._out_of_date]
            gone = (
                f"; {kinds_text(out, states)} {'was' if len(out) == 1 else 'were'} out of date"
                if out
                else ""
            )
            said.append(("information", f"watches live again (the outage lasted {lasted}{gone})"))
            self.down_since = None
            self._out_of_date = set()
        return said
