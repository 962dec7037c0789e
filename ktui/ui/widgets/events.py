"""The events table: events as rows keyed by uid, newest (last seen) first, warnings standing out.

Used by the events screen and the pod detail screen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ktui.render.cells import TimeCell
from ktui.render.events import event_cells
from ktui.ui.live_table import Column, LiveTable, Row
from ktui.view.events import event_rows

Obj = dict[str, Any]


def event_columns(with_object: bool) -> list[Column]:
    """The message is what an event says: on a narrow terminal FIRST SEEN is left out first,
    then OBJECT is shortened in the middle (its kind and its name's generated end stay), then
    REASON, and only then MESSAGE, so at 80 columns MESSAGE keeps what the others leave."""
    columns = [
        Column("type", "TYPE", min_width=7),
        Column("reason", "REASON", min_width=6, max_width=28, shrink=2),
    ]
    if with_object:
        columns.append(
            Column("object", "OBJECT", min_width=12, max_width=48, shrink=3, ellipsis="middle")
        )
    columns += [
        Column("count", "COUNT", justify="right"),
        Column("last", "LAST SEEN", justify="right"),
        Column("first", "FIRST SEEN", justify="right", min_width=0, shrink=4),
        Column("message", "MESSAGE", min_width=20, max_width=400, flexible=True),
    ]
    return columns


class EventTable(LiveTable):
    """Events as rows keyed by the event's uid, newest (last seen) first."""

    def __init__(self, *, with_object: bool, id: str | None = None) -> None:
        columns = event_columns(with_object)
        last = [c.key for c in columns].index("last")

        def newest_first(key: str, row: Row) -> Any:
            cell = row[last]
            return (cell.sort_value if isinstance(cell, TimeCell) else 0.0, key)

        super().__init__(columns, sort_key=newest_first, empty_message="No events.", id=id)
        self.with_object = with_object
        self.warning_count = 0

    def show_events(self, events: list[Obj], now: datetime) -> None:
        rows = event_rows(events, now)
        self.warning_count = sum(1 for row in rows if row.is_warning)
        self.replace_all({row.uid or row.name: event_cells(row, self.with_object) for row in rows})

    def title(self, what: str) -> str:
        """ "Events of Pod web-1 [9 events, 1 warning]"."""
        counts = _plural(self.total_count, "event")
        if self.warning_count:
            counts += f", {_plural(self.warning_count, 'warning')}"
        return f"Events of {what} [{counts}]"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
