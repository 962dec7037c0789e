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
from ktui.render.timeline import Timeline, build_timeline, legend_text, render_timeline

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

    @property
    def lane_names(self) -> list[str]:
        """The container lanes drawn, top to bottom (the conditions lane excluded)."""
        return [lane.name for lane in self.timeline.lanes] if self.timeline else []

    def show(self, pod: Obj, now: datetime) -> None:
        previous_lanes = len(self.timeline.lanes) if self.timeline else -1
        self.timeline = build_timeline(pod, now)
        self._now = now
        self.refresh(layout=len(self.timeline.lanes) != previous_lanes)

    def rendered(self, width: int | None = None) -> Text:
        """The picture as it is drawn now (for the widget's width unless given)."""
        if self.timeline is None or self._now is None:
            return Text("No pod.", style="grey50")
        return render_timeline(self.timeline, width or self.content_size.width or 80, self._now)

    def render(self) -> Text:
        return escape_text(self.rendered(), keep_newlines=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if self.timeline is None:
            return 1
        legend_lines = len(legend_text(self.timeline).wrap(self.app.console, max(width, 1)))
        return len(self.timeline.lanes) + 3 + legend_lines
