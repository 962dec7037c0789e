"""The log view: log lines drawn line by line, interleaved by timestamp with a `[prefix]` per line
when asked, search matches highlighted, wrapped or scrolled sideways (the logs screens' widget).

Every line's text passes `ktui.render.safe` (escaped controls and bidi), the strips drawn too.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from bisect import bisect_right
from collections.abc import Callable
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ktui.cluster.logs import LogChunk, LogLine, TimestampKey
from ktui.render.safe import escape_text, safe_text, sanitize_segments, visible

MAX_LINES = 20_000

_PREFIX_STYLES = ("cyan", "magenta", "green", "yellow", "dodger_blue1", "orange1", "orchid")


class LogView(ScrollView, can_focus=True, inherit_bindings=False):
    """Log lines drawn line by line; search matches highlighted, the current one reversed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "scroll_up", "Up", show=False, id="logs.up"),
        Binding("down,j", "scroll_down", "Down", show=False, id="logs.down"),
        Binding("left,h", "scroll_left", "Left", show=False, id="logs.left"),
        Binding("right", "scroll_right", "Right", show=False, id="logs.right"),
        Binding("pageup,ctrl+b", "page_up", "Page up", show=False, id="logs.page_up"),
        Binding("pagedown,ctrl+f", "page_down", "Page down", show=False, id="logs.page_down"),
        Binding("home,g", "top", "Top", show=False, id="logs.top"),
        Binding("end,G", "bottom", "Bottom (autoscroll on)", show=False, id="logs.bottom"),
    ]
    DEFAULT_CSS = """
    LogView { height: 1fr; overflow-x: auto; overflow-y: auto; scrollbar-size: 1 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[LogLine] = []
        self.autoscroll = True
        self.show_timestamps = False
        self.show_prefix = False
        self.search = ""
        self.matches: list[int] = []
        self.current_match: int | None = None
        """Index into `matches` of the match jumped to last."""
        self.empty_message = "Waiting for log lines…"
        self.wrap = False
        """Long lines wrap onto the next rows instead of scrolling sideways."""
        self._width = 0
        self._row_starts: list[int] = []
        """With `wrap`: the first row of each line (a line takes one row or more)."""
        self._rows = 0
        self._wrap_width = 0
        self._cache: dict[tuple[int, int], Strip] = {}
        self._serial_base = 0
        """Serial number of lines[0]: lines keep their serial when older ones are dropped."""

    # ------------------------------------------------------------------ content

    def clear(self) -> None:
        self.lines = []
        self.matches = []
        self.current_match = None
        self._width = 0
        self._row_starts = []
        self._serial_base += MAX_LINES * 4
        self._changed()

    def add_lines(self, lines: list[LogLine], *, ordered: bool = False) -> None:
        """Append lines; with `ordered`, lines older than the last one are merged in by time
        (several containers' streams interleaved)."""
        if not lines:
            return
        # The line jumped to last, so the jump stays on it when lines are inserted before it
        # (another pod's older line) or old ones dropped: its index moves, the line does not.
        index = self.current_line
        current = self.lines[index] if index is not None else None
        inserted = False
        for line in lines:
            if ordered and line.key is not None and self.lines and self._goes_before_end(line):
                position = self._position_for(line.key)
                self.lines.insert(position, line)
                inserted = True
            else:
                self.lines.append(line)
            self._width = max(self._width, self._line_width(line))
        dropped = len(self.lines) - MAX_LINES
        if dropped > 0:
            del self.lines[:dropped]
            self._serial_base += dropped
        if inserted or dropped > 0:
            self._cache.clear()
            self._row_starts = []
            self._recompute_matches()
            self.current_match = next(
                (n for n, i in enumerate(self.matches) if self.lines[i] is current), None
            )
        elif self.search:
            start = len(self.lines) - len(lines)
            needle = self.search.lower()
            self.matches += [
                i for i in range(start, len(self.lines)) if needle in self.lines[i].text.lower()
            ]
        self._changed()

    def _goes_before_end(self, line: LogLine) -> bool:
        last = self.lines[-1].key
        return last is not None and line.key is not None and line.key < last

    def _position_for(self, key: TimestampKey) -> int:
        low, high = 0, len(self.lines)
        while low < high:
            middle = (low + high) // 2
            other = self.lines[middle].key
            if other is None or other <= key:
                low = middle + 1
            else:
                high = middle
        return low

    def _line_width(self, line: LogLine) -> int:
        width = len(visible(line.text.expandtabs(8)))
        if self.show_timestamps and line.timestamp:
            width += len(line.timestamp) + 1
        if self.show_prefix and line.container:
            width += len(line.container) + 3
        return width

    def _changed(self) -> None:
        if self.wrap:
            self._rewrap()
            self.virtual_size = Size(self._wrap_width, self._rows)
        else:
            self.virtual_size = Size(self._width, len(self.lines))
        if self.autoscroll:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
            # Before the first layout the size is unknown: follow the end once it is.
            self.call_after_refresh(self._follow_end)
        self.refresh()

    def _follow_end(self) -> None:
        if self.autoscroll:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def set_display(
        self,
        *,
        timestamps: bool | None = None,
        prefix: bool | None = None,
        wrap: bool | None = None,
    ) -> None:
        if timestamps is not None:
            self.show_timestamps = timestamps
        if prefix is not None:
            self.show_prefix = prefix
        if wrap is not None and wrap != self.wrap:
            top = self.line_at_row(int(self.scroll_y))
            self.wrap = wrap
            self._wrap_width = 0
            if wrap:
                self.scroll_to(x=0, animate=False, immediate=True)
        self._width = max((self._line_width(line) for line in self.lines), default=0)
        self._cache.clear()
        self._row_starts = []
        self._changed()
        if wrap is not None and not self.autoscroll:
            # The line at the top stays at the top.
            self.scroll_to(y=self.row_of(top), animate=False, immediate=True)

    # ------------------------------------------------------------------ wrapping

    def _wrap_columns(self) -> int:
        """The columns a wrapped line fills: the content less a column kept for the scrollbar
        (so a scrollbar appearing does not change where lines wrap)."""
        return max(1, self.content_region.width - self.styles.scrollbar_size_vertical)

    def _rows_of(self, line: LogLine) -> int:
        width = cell_len(visible(line.text.expandtabs(8)))
        if self.show_timestamps and line.timestamp:
            width += cell_len(visible(line.timestamp)) + 1
        if self.show_prefix and line.container:
            width += cell_len(visible(line.container)) + 3
        return max(1, -(-width // self._wrap_width))

    def _rewrap(self) -> None:
        """Bring `_row_starts` up to date: lines appended are counted on, anything else (lines
        dropped or inserted, a new width) counts them all again."""
        columns = self._wrap_columns()
        starts = self._row_starts
        if columns != self._wrap_width or len(starts) > len(self.lines):
            self._wrap_width = columns
            starts = self._row_starts = []
        if not starts:
            self._rows = 0
        for line in self.lines[len(starts) :]:
            starts.append(self._rows)
            self._rows += self._rows_of(line)

    def row_of(self, index: int) -> int:
        """The first row of line `index` (the line itself when lines do not wrap)."""
        if not self.wrap or not self._row_starts:
            return index
        return self._row_starts[min(index, len(self._row_starts) - 1)]

    def line_at_row(self, row: int) -> int:
        """The line drawn on virtual row `row`."""
        if not self.wrap or not self._row_starts:
            return row
        return max(0, bisect_right(self._row_starts, row) - 1)

    # ------------------------------------------------------------------ search

    def set_search(self, text: str) -> None:
        self.search = text
        self.current_match = None
        self._recompute_matches()
        self._cache.clear()
        self.refresh()

    def _recompute_matches(self) -> None:
        if not self.search:
            self.matches = []
            return
        needle = self.search.lower()
        self.matches = [i for i, line in enumerate(self.lines) if needle in line.text.lower()]
        if self.current_match is not None and self.current_match >= len(self.matches):
            self.current_match = None

    def jump(self, step: int) -> bool:
        """Move to the next (step 1) or previous (-1) match from the current one (or from the
        top of the screen); autoscroll stops so the match stays in view."""
        if not self.matches:
            return False
        if self.current_match is None:
            top = self.line_at_row(int(self.scroll_y))
            if step > 0:
                index = next((n for n, i in enumerate(self.matches) if i >= top), 0)
            else:
                below = [n for n, i in enumerate(self.matches) if i < top]
                index = below[-1] if below else len(self.matches) - 1
        else:
            index = (self.current_match + step) % len(self.matches)
        self.current_match = index
        self.autoscroll = False
        line = self.matches[index]
        height = max(1, self.scrollable_content_region.height)
        self.scroll_to(y=max(0, self.row_of(line) - height // 2), animate=False, immediate=True)
        self._cache.clear()
        self.refresh()
        return True

    @property
    def current_line(self) -> int | None:
        if self.current_match is None or self.current_match >= len(self.matches):
            return None
        return self.matches[self.current_match]

    # ------------------------------------------------------------------ rendering

    def line_text(self, index: int) -> Text:
        line = self.lines[index]
        text = Text(no_wrap=True, end="")
        if self.show_prefix and line.container:
            text.append(f"[{line.container}] ", style=_prefix_style(line.container))
        if self.show_timestamps and line.timestamp:
            text.append(line.timestamp + " ", style="grey50")
        start = len(text)
        body = safe_text(line.text.expandtabs(8))
        text.append_text(body)
        if self.search:
            needle = self.search.lower()
            haystack = body.plain.lower()
            current = index == self.current_line
            style = "bold black on orange1" if current else "black on yellow"
            position = haystack.find(needle)
            while position >= 0 and needle:
                text.stylize(style, start + position, start + position + len(needle))
                position = haystack.find(needle, position + len(needle))
            if current:
                text.stylize("on grey23", 0, len(text))
        return escape_text(text)  # the prefix and the timestamp (the body is escaped)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        row = int(self.scroll_y) + y
        index = self.line_at_row(row)
        if not self.lines:
            if y == 0:
                message = visible(self.empty_message)[:width]
                return Strip([Segment(message, base + Style(italic=True))])
            return Strip.blank(width, base)
        if index >= len(self.lines):
            return Strip.blank(width, base)
        if self.wrap:
            if len(self._row_starts) != len(self.lines):
                return Strip.blank(width, base)  # a change not counted yet: drawn again soon
            # Row k of a wrapped line shows its columns k*w to (k+1)*w.
            start, span = (row - self._row_starts[index]) * self._wrap_width, self._wrap_width
            if row >= self._rows:
                return Strip.blank(width, base)
        else:
            start, span = int(self.scroll_x), width
        serial = self._serial_base + index
        key = (serial, start if not self.wrap else -1 - start)
        strip = self._cache.get(key)
        if strip is None:
            rendered = self.line_text(index).render(self.app.console)
            strip = (
                Strip(sanitize_segments(rendered, keep_newlines=False))
                .crop(start, start + span)
                .simplify()
            )
            if len(self._cache) > 2048:
                self._cache.clear()
            self._cache[key] = strip
        return strip.apply_style(base).extend_cell_length(width, base)

    def on_resize(self) -> None:
        self._cache.clear()
        if self.wrap and self._wrap_columns() != self._wrap_width:
            top = self.line_at_row(int(self.scroll_y))
            self._changed()
            if not self.autoscroll:
                self.scroll_to(y=self.row_of(top), animate=False, immediate=True)
        self._follow_end()

    # ------------------------------------------------------------------ actions

    def action_top(self) -> None:
        self.autoscroll = False
        self.scroll_home(animate=False)

    def action_bottom(self) -> None:
        self.autoscroll = True
        self.scroll_end(animate=False, x_axis=False)

    def action_scroll_up(self) -> None:
        self.autoscroll = False
        self.scroll_relative(y=-1, animate=False)

    def action_page_up(self) -> None:
        self.autoscroll = False
        super().action_page_up()


def _prefix_style(container: str) -> str:
    return _PREFIX_STYLES[sum(container.encode()) % len(_PREFIX_STYLES)]


class ChunkInbox:
    """Log chunks from stream threads to the event loop: a stream thread `put`s, and the
    loop is woken once for however many chunks arrive before it runs `on_ready`, which
    `take`s them all (a busy log costs one wake-up per turn, not one per chunk)."""

    def __init__(self, on_ready: Callable[[], None]) -> None:
        self._on_ready = on_ready
        self._lock = threading.Lock()
        self._pending: list[LogChunk] = []
        self._scheduled = False
        self.loop: asyncio.AbstractEventLoop | None = None
        """The event loop to wake; set once the screen is mounted."""

    def put(self, chunk: LogChunk) -> None:
        """Called on a stream's thread."""
        with self._lock:
            self._pending.append(chunk)
            if self._scheduled:
                return
            self._scheduled = True
        loop = self.loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closing: nobody to show it to
                loop.call_soon_threadsafe(self._on_ready)

    def take(self) -> list[LogChunk]:
        """Every chunk put since the last take (on the event loop)."""
        with self._lock:
            chunks, self._pending = self._pending, []
            self._scheduled = False
        return chunks

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()
