"""A pod's lifecycle drawn as a picture: see `ktui.render.timeline` for what it shows.

`PodTimeline` keeps the pod's last timeline and draws it at the widget's width.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from ktui.render.safe import escape_text
from ktui.render.timeline import (
    Timeline,
    build_timeline,
    legend_text,
    picture_lines,
    timeline_text,
)

Obj = dict[str, Any]


class PodTimeline(Widget):
    """The lifecycle picture of one pod; `show(pod, now)` redraws it."""

    DEFAULT_CSS = """
    PodTimeline { height: auto; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.timeline: Timeline | None = None
        self._now: datetime | None = None
        self._picture: tuple[Timeline, int, datetime, list[Text]] | None = None
        """The last picture drawn (timeline, width, now, lines): `show` measures the height
        before and after, the layout measures it and the drawing draws it, mostly at one width
        for one timeline and one "now": one `picture_lines` serves them all."""

    @property
    def lane_names(self) -> list[str]:
        """The container lanes drawn, top to bottom (the conditions lane excluded)."""
        return [lane.name for lane in self.timeline.lanes] if self.timeline else []

    def show(self, pod: Obj, now: datetime) -> None:
        before = self._rows()
        self.timeline = build_timeline(pod, now)
        self._now = now
        # A new lane, or a state text that now takes another row, changes the height.
        self.refresh(layout=self._rows() != before)

    def clear(self) -> None:
        """No pod: the picture a new widget shows."""
        if self.timeline is not None:
            self.timeline = None
            self._now = None
            self._picture = None
            self.refresh(layout=True)

    def _rows(self) -> int:
        return self._height(self.content_size.width or 80) if self.timeline else -1

    def rendered(self, width: int | None = None) -> Text:
        """The picture as it is drawn now (for the widget's width unless given)."""
        if self.timeline is None or self._now is None:
            return Text("No pod.", style="grey50")
        return timeline_text(
            self.timeline, self._picture_lines(width or self.content_size.width or 80)
        )

    def _picture_lines(self, width: int) -> list[Text]:
        timeline = self.timeline
        assert timeline is not None
        now = self._now or timeline.end
        cached = self._picture
        if cached is not None and cached[0] is timeline and cached[1] == width and cached[2] == now:
            return cached[3]
        lines = picture_lines(timeline, width, now)
        self._picture = (timeline, width, now, lines)
        return lines

    def render(self) -> Text:
        return escape_text(self.rendered(), keep_newlines=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self._height(width)

    def _height(self, width: int) -> int:
        if self.timeline is None:
            return 1
        width = max(width, 1)
        # A lane whose state text does not fit beside its track takes more than one row.
        picture = len(self._picture_lines(width))
        return picture + len(legend_text(self.timeline).wrap(self.app.console, width))
