"""Events as table cells (warnings standing out, ages that tick) and the events screen's title."""

from __future__ import annotations

from rich.text import Text

from ktui.render.cells import TimeCell
from ktui.view.events import EventRow

EventCell = Text | TimeCell


def event_type_text(row: EventRow) -> Text:
    """ "⚠ Warning" in bold red, anything else quietly grey."""
    if row.is_warning:
        return Text("⚠ Warning", style="bold red")
    return Text(row.type or "-", style="grey62")


def event_cells(row: EventRow, with_object: bool) -> tuple[EventCell, ...]:
    """TYPE, REASON, (OBJECT,) COUNT, LAST SEEN, FIRST SEEN, MESSAGE: a LiveTable row."""
    warning = row.is_warning
    cells: list[EventCell] = [
        event_type_text(row),
        Text(row.reason, style="bold yellow" if warning else "bold"),
    ]
    if with_object:
        cells.append(Text(row.object, style="cyan"))
    cells += [
        Text(f"x{row.count}", style="yellow" if row.count > 1 else "grey50"),
        TimeCell(row.last_seen_at),
        TimeCell(row.first_seen_at, style="grey50"),
        Text(" ".join(row.message.split()), style="yellow" if warning else ""),
    ]
    return tuple(cells)


def events_title(label: str, namespace: str, *, deleted: bool) -> Text:
    """ "Events deployment/web  ns shop", and a red note when the object is gone."""
    title = Text(no_wrap=True, overflow="ellipsis")
    title.append("Events ", style="bold")
    title.append(label, style="bold cyan")
    if namespace:
        title.append(f"  ns {namespace}", style="grey62")
    if deleted:
        title.append("  (deleted: showing what is left)", style="bold red")
    return title
