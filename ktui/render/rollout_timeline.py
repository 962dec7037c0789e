"""The rollout timeline as a lane: one glyph per recorded moment (◆ revision, ▪ replica counts,
• pods, · events), the selected one highlighted, and below it what changed then."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from rich.text import Text

from ktui.model.timeline import ChangeKind, TimelineEntry
from ktui.render.safe import safe_text
from ktui.view.age import since

LANE_GLYPH: Mapping[ChangeKind, tuple[str, str, str]] = {
    # kind -> (glyph, style, style when something went wrong)
    ChangeKind.START: ("▶", "bright_black", "bright_black"),
    ChangeKind.REVISION: ("◆", "bold magenta", "bold magenta"),
    ChangeKind.REPLICAS: ("▪", "dodger_blue1", "dodger_blue1"),
    ChangeKind.POD: ("•", "green", "bold red"),
    ChangeKind.EVENT: ("·", "bright_black", "bold yellow"),
}


def window(count: int, selected: int, width: int) -> tuple[int, int]:
    """The [start, end) slice of `count` entries a lane `width` glyphs wide shows around
    `selected` (the latest entries while live)."""
    width = max(1, width)
    if count <= width:
        return 0, count
    start = min(max(0, selected - width // 2), count - width)
    return start, start + width


def lane_text(
    entries: Sequence[TimelineEntry],
    selected: int | None,
    width: int,
    now: datetime,
    *,
    stale: str = "",
) -> Text:
    """Two lines: the lane (live: the newest at the right end), then the moment shown.

    `stale` ("stale since 06:21:03") replaces the "● live" marker while the watches the lane
    is drawn from may be out of date: nothing newer arriving does not mean nothing happened."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if not entries:
        text.append("nothing recorded yet", style="bright_black")
        if stale:
            text.append(f" ● {stale}", style="bold yellow")
        return text
    index = len(entries) - 1 if selected is None else selected
    if selected is not None:
        tail, tail_style = f" {index + 1}/{len(entries)}", "bold yellow"
    elif stale:
        tail, tail_style = f" ● {stale}", "bold yellow"
    else:
        tail, tail_style = " ● live", "bold green"
    start, end = window(len(entries), index, width - len(tail))
    if start > 0:
        text.append("…", style="bright_black")
        start += 1
    for position in range(start, end):
        entry = entries[position]
        glyph, style, bad_style = LANE_GLYPH[entry.kind]
        chosen = bad_style if entry.bad else style
        if position == index and selected is not None:
            chosen = f"{chosen} reverse"
        text.append(glyph, style=chosen)
    text.append(tail, style=tail_style)
    text.append("\n")
    entry = entries[index]
    text.append(entry.at.astimezone().strftime("%H:%M:%S"), style="bold")
    text.append(f" ({since(entry.at, now)} ago)  ", style="bright_black")
    if entry.unwatched_since is not None:
        # When ktui saw it, not when it happened: it was out of view.
        started = entry.unwatched_since.astimezone().strftime("%H:%M:%S")
        text.append(f"seen on return (not watched since {started}): ", style="yellow")
    for number, change in enumerate(entry.changes):
        if number:
            text.append(" · ", style="bright_black")
        text.append_text(safe_text(change.text, "red" if change.bad else ""))
    return text


__all__ = ["LANE_GLYPH", "lane_text", "window"]
