"""Container logs, streamed live from the API server's pods/log endpoint.

Each container's log is read by a `ktui.cluster.logs.LogStream` in a thread worker (one GET
with `follow=true`, the body read as it arrives); its chunks are queued and drained on the event
loop. Closing the screen stops the streams, so a read blocked on a quiet container returns at
once; a follow stream silent for longer than the read timeout is reopened by the stream itself
without losing lines.

Keys follow k9s: `s` toggles autoscroll, `p` the previous instance; `c` cycles containers
(the last choice shows all containers interleaved, each line prefixed `[container]`), `/`
searches with `n`/`N` to jump between matches, `t` shows timestamps, `w` wraps long lines, `f`
shows the log full screen (`f` or esc again restores), `0`-`9` read the log again over a time
range (`TIME_RANGES`: 0 the last lines, 1 the last minute … 9 the last day; `sinceSeconds`), and
`ctrl+s` saves the lines shown, as shown, to a new file in the state directory's `logs`.

Log lines are whatever the container wrote: colour codes, OSC sequences, a clear-screen. Each
line's tabs are expanded, then every control and bidi character is shown as an escape
(`ktui.render.safe`), search highlights moved along; the strips drawn pass the same gate.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import threading
from bisect import bisect_right
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.screen import ModalScreen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Footer, Input, OptionList
from textual.widgets.option_list import Option

from ktui.cluster.logs import (
    INITIAL_TAIL_LINES,
    READ_TIMEOUT_S,
    LogChunk,
    LogLine,
    LogRequest,
    LogStream,
    TimestampKey,
)
from ktui.cluster.state import CacheState
from ktui.paths import ensure_dir, saved_logs_dir
from ktui.render.safe import escape_text, safe_text, sanitize_segments, visible
from ktui.ui.messages import ClusterChanged, RetryRequested
from ktui.ui.screens.base import InspectorScreen
from ktui.ui.widgets.input import KtuiInput
from ktui.ui.widgets.safe import SafeStatic
from ktui.view.logs import (
    container_choices,
    container_names,
    default_container,
    has_log,
    run_signature,
)

Obj = dict[str, Any]

ALL_CONTAINERS = "*"
"""The container choice that shows every container's log, interleaved."""
MAX_LINES = 20_000
TIME_RANGES: tuple[tuple[str, int | None], ...] = (
    ("tail", None),
    ("1m", 60),
    ("5m", 5 * 60),
    ("15m", 15 * 60),
    ("30m", 30 * 60),
    ("1h", 3600),
    ("3h", 3 * 3600),
    ("6h", 6 * 3600),
    ("12h", 12 * 3600),
    ("24h", 24 * 3600),
)
"""The keys 0-9 (k9s): the last lines (`INITIAL_TAIL_LINES`), or the lines of a time range."""

_PREFIX_STYLES = ("cyan", "magenta", "green", "yellow", "dodger_blue1", "orange1", "orchid")

# ----------------------------------------------------------------------------- the widget


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


# ----------------------------------------------------------------------------- the screen


class LogsScreen(InspectorScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "toggle_autoscroll", "Autoscroll", id="logs.autoscroll"),
        Binding("p", "toggle_previous", "Previous", id="logs.previous"),
        Binding("c", "next_container", "Container", id="logs.next_container"),
        Binding("C", "pick_container", "Pick container", id="logs.pick_container"),
        Binding("a", "all_containers", "All containers", id="logs.all_containers"),
        Binding("t", "toggle_timestamps", "Timestamps", id="logs.timestamps"),
        Binding("w", "toggle_wrap", "Wrap", id="logs.wrap"),
        Binding("f", "toggle_fullscreen", "Full screen", id="logs.fullscreen"),
        Binding("ctrl+s", "save", "Save", id="logs.save"),
        Binding("slash", "search", "Search", id="logs.search"),
        Binding("n", "jump(1)", "Next match", id="logs.next_match"),
        Binding("N", "jump(-1)", "Prev match", id="logs.previous_match"),
        Binding("r", "reload", "Reload", show=False, id="logs.reload"),
        *(
            Binding(str(digit), f"since({digit})", label, show=False, id=f"logs.since_{digit}")
            for digit, (label, _) in enumerate(TIME_RANGES)
        ),
    ]
    DEFAULT_CSS = """
    LogsScreen #logs-status { height: 1; padding: 0 1; background: $panel; }
    LogsScreen #logs-error {
        display: none; height: auto; padding: 0 1; color: $text; background: $error 35%;
    }
    LogsScreen.failed #logs-error { display: block; }
    LogsScreen LogView { border: round $ktui-border-focus; }
    LogsScreen #logs-search {
        display: none; dock: bottom; margin-bottom: 1; border: tall $ktui-border-focus;
    }
    LogsScreen #logs-search.visible { display: block; }
    LogsScreen.fullscreen #logs-status, LogsScreen.fullscreen #logs-error,
    LogsScreen.fullscreen Footer { display: none; }
    LogsScreen.fullscreen LogView { border: none; }
    LogsScreen.fullscreen #logs-search { margin-bottom: 0; }
    """

    def __init__(
        self,
        uid: str,
        *,
        previous: bool = False,
        container: str | None = None,
        pod: Obj | None = None,
        read_timeout: float = READ_TIMEOUT_S,
    ) -> None:
        super().__init__()
        self.pod_uid = uid
        self.pod: Obj | None = pod
        self.previous = previous
        self.container = container
        self.read_timeout = read_timeout
        self.time_range = 0
        """Index into `TIME_RANGES` (the key pressed: 0 the tail)."""
        self.streams: list[LogStream] = []
        self.errors: dict[str, str] = {}
        self._link_down = False
        """Whether the pods' watch was last seen down or silent (see `_follow_link`)."""
        self.ended: set[str] = set()
        self._signatures: dict[str, tuple[str, str, int]] = {}
        self._pending: list[LogChunk] = []
        self._pending_lock = threading.Lock()
        self._drain_scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None

    def compose(self) -> ComposeResult:
        yield SafeStatic(id="logs-status")
        yield SafeStatic(id="logs-error")
        yield LogView(id="log")
        yield KtuiInput(placeholder="search…", id="logs-search")
        yield Footer()

    @property
    def view(self) -> LogView:
        return self.query_one("#log", LogView)

    def on_mount(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.pod = self.ktui.model.objects.get(self.pod_uid) or self.pod
        if self.pod is not None and self.container is None:
            self.container = default_container(self.pod)
        self.view.focus()
        self.start_streams()
        # Autoscroll also changes from the view's own keys (up, home): keep the status true.
        self.set_interval(1.0, self._update_status)

    def on_unmount(self) -> None:
        self.stop_streams()

    # ------------------------------------------------------------------ streams

    @property
    def since_seconds(self) -> int | None:
        return TIME_RANGES[self.time_range][1]

    @property
    def all_containers(self) -> bool:
        return self.container == ALL_CONTAINERS

    def stop_streams(self) -> None:
        streams, self.streams = self.streams, []
        for stream in streams:
            stream.stop()
        with self._pending_lock:
            self._pending.clear()

    def start_streams(self) -> None:
        """(Re)open the log of the chosen container(s) from scratch."""
        self.stop_streams()
        self.errors.clear()
        self.ended.clear()
        view = self.view
        view.clear()
        view.set_display(prefix=self.all_containers)
        pod = self.pod
        if pod is None:
            self.errors[""] = "The pod is not in the cache (deleted?): no logs to read."
            self._update_status()
            return
        names = container_names(pod)
        if self.all_containers:
            targets = [n for n in names if has_log(pod, n, self.previous)]
            if not targets:
                which = "a previous instance" if self.previous else "started"
                self.errors[""] = f"No container of this pod has {which}: no logs yet."
        else:
            targets = [self.container] if self.container else []
            if not targets:
                self.errors[""] = "The pod has no containers."
        for name in targets:
            self.streams.append(self._open_stream(pod, name))
        view.empty_message = (
            "Reading the previous instance's log…" if self.previous else "Waiting for log lines…"
        )
        self._update_status()

    def _open_stream(self, pod: Obj, name: str) -> LogStream:
        metadata = pod.get("metadata") or {}
        request = LogRequest(
            namespace=str(metadata.get("namespace", "")),
            pod=str(metadata.get("name", "")),
            container=name,
            previous=self.previous,
            follow=not self.previous,
            tail_lines=INITIAL_TAIL_LINES if self.since_seconds is None else None,
            since_seconds=self.since_seconds,
        )
        stream = LogStream(
            self.ktui.connection.api_client,
            request,
            self._receive,
            tag=name if self.all_containers else None,
            read_timeout=self.read_timeout,
        )
        self._signatures[name] = run_signature(pod, name)
        self.run_worker(stream.run, thread=True, group="logs", exit_on_error=False)
        return stream

    def _reopen(self, pod: Obj, stale: LogStream) -> None:
        """Follow a container's new run in place of its ended stream (the others go on)."""
        name = stale.request.container
        self.ended.discard(name)
        if self.errors.pop(name, None) is None and self.view.lines:
            # The previous run's lines stay; the new run's follow a marker.
            marker = f"──────── {name} started again ────────"
            self.view.add_lines([LogLine(marker, name if self.all_containers else None)])
        self.streams[self.streams.index(stale)] = self._open_stream(pod, name)
        self._update_status()

    def _receive(self, chunk: LogChunk) -> None:
        """Called on a stream's thread: queue the chunk and wake the event loop once."""
        with self._pending_lock:
            self._pending.append(chunk)
            if self._drain_scheduled:
                return
            self._drain_scheduled = True
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closing: nobody to show it to
                loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        with self._pending_lock:
            chunks, self._pending = self._pending, []
            self._drain_scheduled = False
        if not self.is_attached:
            return
        current = set(map(id, self.streams))
        lines: list[LogLine] = []
        for chunk in chunks:
            if id(chunk.stream) not in current:
                continue  # from a stream replaced by a container switch
            lines += chunk.lines
            if chunk.ended:
                name = chunk.stream.request.container
                self.ended.add(name)
                if chunk.error:
                    self.errors[name] = chunk.error
        self.view.add_lines(lines, ordered=self.all_containers)
        if self.streams and all(s.request.container in self.ended for s in self.streams):
            self.view.empty_message = "The log is empty."
            self.view.refresh()
        self._update_status()

    # ------------------------------------------------------------------ status

    def _update_status(self) -> None:
        view = self.view
        pod = self.pod or {}
        name = (pod.get("metadata") or {}).get("name", "?")
        status = Text(no_wrap=True, overflow="ellipsis")
        status.append("Logs ", style="bold")
        status.append(f"pod/{name}", style="bold cyan")
        status.append("  container ", style="grey62")
        status.append("all" if self.all_containers else (self.container or "-"), style="bold")
        if self.previous:
            status.append("  PREVIOUS", style="bold magenta")
        label = TIME_RANGES[self.time_range][0]
        if self.since_seconds is None:
            status.append(f"  tail {INITIAL_TAIL_LINES}", style="grey62")
        else:
            status.append(f"  last {label}", style="bold")
        if self.view.wrap:
            status.append("  wrap", style="grey62")
        active = [s for s in self.streams if s.request.container not in self.ended]
        if active and not self.previous:
            status.append("  ● following", style="green")
        elif self.streams and not self.errors:
            status.append("  ■ ended", style="grey62")
        status.append(
            "  autoscroll on" if view.autoscroll else "  ⏸ autoscroll off",
            style="green" if view.autoscroll else "yellow",
        )
        status.append(f"  {len(view.lines)} lines", style="grey62")
        if view.search:
            position = (view.current_match or 0) + 1 if view.current_match is not None else 0
            status.append(f"  /{view.search} {position}/{len(view.matches)}", style="yellow")
        self.query_one("#logs-status", SafeStatic).update(status)
        error_line = Text(no_wrap=True, overflow="ellipsis")
        for container, message in self.errors.items():
            if len(error_line):
                error_line.append("  ")
            prefix = f"[{container}] " if container and self.all_containers else ""
            error_line.append(f"✖ {prefix}{message}")
        self.query_one("#logs-error", SafeStatic).update(error_line)
        self.set_class(bool(self.errors), "failed")
        view.border_title = safe_text(
            f"{'all containers' if self.all_containers else self.container}"
            f"{' (previous)' if self.previous else ''}"
        )

    @property
    def error_text(self) -> str:
        return "  ".join(self.errors.values())

    # ------------------------------------------------------------------ live pod

    @on(ClusterChanged)
    def _cluster_changed(self, message: ClusterChanged) -> None:
        if message.batch.states:
            self._follow_link(message.batch.states)
        pod = message.batch.upserts.get("Pod", {}).get(self.pod_uid)
        if pod is None:
            return
        self.pod = pod
        if self.previous:
            return
        # A container that was waiting (an error) or whose run ended runs again: follow it.
        for stream in list(self.streams):
            name = stream.request.container
            if name in self.ended and run_signature(pod, name) != self._signatures.get(name):
                self._reopen(pod, stream)
        started = any(has_log(pod, n, False) for n in container_names(pod))
        if self.all_containers and not self.streams and started:
            self.start_streams()

    # ------------------------------------------------------------------ actions

    def action_toggle_autoscroll(self) -> None:
        view = self.view
        view.autoscroll = not view.autoscroll
        if view.autoscroll:
            view.scroll_end(animate=False, x_axis=False)
        self._update_status()

    def action_toggle_previous(self) -> None:
        self.previous = not self.previous
        self.start_streams()

    def action_next_container(self) -> None:
        if self.pod is None:
            return
        choices = [*container_names(self.pod), ALL_CONTAINERS]
        index = choices.index(self.container) if self.container in choices else -1
        self.container = choices[(index + 1) % len(choices)]
        self.start_streams()

    def action_pick_container(self) -> None:
        """A list of the pod's containers (what each is, its state) and all of them together."""
        if self.pod is None:
            return
        choices = [*container_choices(self.pod), (ALL_CONTAINERS, "all containers, interleaved")]
        current = ALL_CONTAINERS if self.all_containers else self.container

        def chosen(name: str | None) -> None:
            if name is not None and name != current:
                self.container = name
                self.start_streams()

        self.app.push_screen(ContainerPicker(choices, current), chosen)

    def action_all_containers(self) -> None:
        if self.all_containers:
            self.container = default_container(self.pod) if self.pod else None
        else:
            self.container = ALL_CONTAINERS
        self.start_streams()

    def action_toggle_timestamps(self) -> None:
        self.view.set_display(timestamps=not self.view.show_timestamps)

    def action_reload(self) -> None:
        self.start_streams()

    def action_toggle_wrap(self) -> None:
        self.view.set_display(wrap=not self.view.wrap)
        self._update_status()

    def action_toggle_fullscreen(self) -> None:
        self.toggle_class("fullscreen")

    def action_since(self, digit: int) -> None:
        """Read the log(s) again from the start of a time range (0: the last lines)."""
        if not 0 <= digit < len(TIME_RANGES):
            return
        self.time_range = digit
        self.start_streams()

    def action_save(self) -> None:
        """Write the lines shown (as shown: prefixes, timestamps, escapes made visible) to a new
        file in the state directory; the toast names it, or says in one line why not."""
        view = self.view
        try:
            path = self._save_path()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                for index in range(len(view.lines)):
                    file.write(view.line_text(index).plain + "\n")
        except OSError as exc:
            reason = exc.strerror or str(exc)
            where = f": {exc.filename}" if exc.filename else ""
            self.notify(f"Could not save the log: {reason}{where}", severity="error")
            return
        self.notify(f"Saved {len(view.lines)} lines to {path}", title="Log saved")

    def _save_path(self) -> Path:
        """A new file `<ns>_<pod>_<container>_<time>.log` in the saved logs directory."""
        metadata = (self.pod or {}).get("metadata") or {}
        container = "all" if self.all_containers else (self.container or "-")
        if self.previous:
            container += "-previous"
        parts = [metadata.get("namespace", "-"), metadata.get("name", "-"), container]
        stem = "_".join(_file_part(str(part)) for part in parts)
        stem += "_" + datetime.now().strftime("%Y%m%d-%H%M%S")
        directory = ensure_dir(saved_logs_dir())
        path = directory / f"{stem}.log"
        number = 1
        while path.exists():
            number += 1
            path = directory / f"{stem}-{number}.log"
        return path

    def _follow_link(self, changed: Mapping[str, CacheState]) -> None:
        """When the pods' watch is current again after being down or silent, streams that
        ended on an error (most likely the same broken link) are read again."""
        state = changed.get("Pod")
        if state is None:
            return
        down = state.out_of_date_since is not None
        healed = self._link_down and not down
        self._link_down = down
        if healed and self.errors:
            self.start_streams()

    @on(RetryRequested)
    def _retry_requested(self, message: RetryRequested) -> None:
        # ctrl+r: a stream that ended on an error (a broken link, a 403 since fixed) is read
        # again from the start; streams that are fine are left alone.
        if self.errors:
            self.start_streams()

    def action_search(self) -> None:
        search = self.query_one("#logs-search", Input)
        search.value = self.view.search
        search.add_class("visible")
        search.focus()

    @on(Input.Changed, "#logs-search")
    def _search_changed(self, message: Input.Changed) -> None:
        self.view.set_search(message.value)
        self._update_status()

    @on(Input.Submitted, "#logs-search")
    def _search_submitted(self, message: Input.Submitted) -> None:
        message.input.remove_class("visible")
        self.view.focus()
        self.view.set_search(message.value)
        if message.value and not self.view.jump(1):
            self.notify(f"No match for {message.value!r}", severity="warning")
        self._update_status()

    def action_jump(self, step: int) -> None:
        if not self.view.search:
            self.action_search()
            return
        if not self.view.jump(step):
            self.notify(f"No match for {self.view.search!r}", severity="warning")
        self._update_status()

    def action_close(self) -> None:
        search = self.query_one("#logs-search", Input)
        if search.has_class("visible"):
            search.remove_class("visible")
            self.view.focus()
            return
        if self.has_class("fullscreen"):
            self.remove_class("fullscreen")
            return
        super().action_close()


def _file_part(text: str) -> str:
    """`text` fit for a file name: anything but letters, digits, `.`, `-` becomes `_`."""
    return re.sub(r"[^A-Za-z0-9.-]", "_", text).strip(".") or "-"


class ContainerPicker(ModalScreen[str | None], inherit_bindings=False):
    """Which container's log to read: a list (enter picks, esc keeps the current one)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "cancel", "Cancel", id="container_picker.cancel"),
    ]
    DEFAULT_CSS = """
    ContainerPicker { align: center middle; }
    ContainerPicker OptionList {
        width: 90; max-width: 100%; height: auto; max-height: 80%;
        border: round $ktui-border-focus; background: $surface;
    }
    """

    def __init__(self, choices: list[tuple[str, str]], current: str | None) -> None:
        super().__init__()
        self.choices = choices
        self.current = current

    def compose(self) -> ComposeResult:
        options = [
            Option(safe_text(name if name != ALL_CONTAINERS else "all") + Text(f"  {what}", "dim"))
            for name, what in self.choices
        ]
        picker = OptionList(*options, id="containers")
        picker.border_title = "containers · enter: read its log · esc: keep"
        yield picker

    def on_mount(self) -> None:
        picker = self.query_one(OptionList)
        names = [name for name, _ in self.choices]
        picker.highlighted = names.index(self.current) if self.current in names else 0
        picker.focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[event.option_index][0])

    def action_cancel(self) -> None:
        self.dismiss(None)
