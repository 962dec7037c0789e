"""A table that renders only the rows on screen and is updated by keyed diff.

`DataTable` costs O(n) per `remove_row` and re-measures on every change; under a churn of
thousands of pods that is the whole frame budget. `LiveTable` keeps rows in a dict keyed by a
stable key (the object's uid), sorts and filters once per batch, and draws only the visible
lines through the Line API, so display work scales with the rows on screen. The cursor follows
its key, not its index, and keeps its place on screen while rows move under it.

Cells hold strings from the cluster: each is escaped (`ktui.render.safe`) before it is measured
and drawn, and every line drawn passes `sanitize_segments`, so no control or bidi character
reaches the terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol, runtime_checkable

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ktui.render.cells import TimeCell
from ktui.render.panes import Column
from ktui.render.safe import escape_text, safe_text, sanitize_segments, visible
from ktui.view.row_filter import Labels, RowFilter

__all__ = ["Cell", "ClockCell", "Column", "LiveTable", "Row", "cell_width"]


@runtime_checkable
class ClockCell(Protocol):
    """A cell drawn from the current time (an age), re-rendered on every repaint."""

    def text(self, now: datetime) -> Text: ...

    @property
    def sort_value(self) -> float: ...


Cell = str | Text | ClockCell
Row = tuple[Cell, ...]


def _searched_fits(columns: Iterable[Column]) -> list[tuple[int, Callable[[Text, int], Text]]]:
    """(index, fit) of the columns whose short form `/` matches as well (`Column.fit_searched`)."""
    return [(i, c.fit) for i, c in enumerate(columns) if c.fit_searched and c.fit is not None]


def _plain(cell: Cell) -> str:
    if isinstance(cell, str):
        return cell
    if isinstance(cell, Text):
        return cell.plain
    return ""


def cell_width(cell: Cell, now: datetime) -> int:
    """The width a cell asks for: a string's length once escaped, a `Text`'s cells once
    escaped, a clock cell's cells at `now` and one more (it grows as it ticks).

    Measured for every cell of every new or changed row: a string of printable ASCII (nearly
    every cell: names, READY, IPs, nodes, owners, ages) has nothing to escape and is one cell
    per character, so it is its length without escaping it or building a `Text`."""
    if isinstance(cell, str):
        if cell.isascii() and cell.isprintable():
            return len(cell)
        return len(visible(cell))
    if isinstance(cell, Text):
        plain = cell.plain
        if plain.isascii() and plain.isprintable():
            return len(plain)
        return escape_text(cell).cell_len
    if type(cell) is TimeCell:
        # What `TimeCell.text` draws, without the `Text` (which strips no printable ASCII).
        shown = cell.render(cell.moment, now)
        if shown.isascii() and shown.isprintable():
            return len(shown) + 1
    return cell.text(now).cell_len + 1


def cell_sort_value(cell: Cell) -> Any:
    """How a table orders a column's cells by default: text naturally ("web-2" before
    "web-10"), times by their moment; for a `sort_key` that falls back to it."""
    return _sort_value(cell)


def _sort_value(cell: Cell) -> Any:
    if isinstance(cell, str | Text):
        return (0, _natural_key(_plain(cell)))
    return (1, cell.sort_value)


class LiveTable(ScrollView, can_focus=True, inherit_bindings=False):
    """Rows keyed by a string, sorted and filtered, drawn line by line."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False, id="table.cursor_up"),
        Binding("down,j", "cursor_down", "Down", show=False, id="table.cursor_down"),
        Binding("pageup,ctrl+b", "page_up", "Page up", show=False, id="table.page_up"),
        Binding("pagedown,ctrl+f", "page_down", "Page down", show=False, id="table.page_down"),
        Binding("home,g", "cursor_top", "Top", show=False, id="table.top"),
        Binding("end,G", "cursor_bottom", "Bottom", show=False, id="table.bottom"),
        Binding("enter", "select", "Open", show=False, id="table.select"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "live-table--header",
        "live-table--cursor",
        "live-table--cursor-blurred",
        "live-table--empty",
    }

    DEFAULT_CSS = """
    LiveTable {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
    }
    LiveTable > .live-table--header { text-style: bold; color: $text-accent; }
    LiveTable > .live-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    LiveTable > .live-table--cursor-blurred { background: $block-cursor-blurred-background; }
    LiveTable > .live-table--empty { color: $text-muted; text-style: italic; }
    """

    class Highlighted(Message):
        """The cursor moved onto another key (or the table became empty: key is None)."""

        def __init__(self, table: LiveTable, key: str | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> LiveTable:
            return self.table

    class Selected(Message):
        """Enter was pressed on a row."""

        def __init__(self, table: LiveTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> LiveTable:
            return self.table

    filter_text: reactive[str] = reactive("", init=False)

    def __init__(
        self,
        columns: Iterable[Column],
        *,
        sort_key: Callable[[str, Row], Any] | None = None,
        empty_message: str = "Nothing here.",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns: tuple[Column, ...] = tuple(columns)
        self._searched_fits = _searched_fits(self.columns)
        self._rows: dict[str, Row] = {}
        self._search_text: dict[str, str] = {}
        self._sort_values: dict[str, Any] = {}
        self._natural_widths = [len(c.label) for c in self.columns]
        self._widths_memo: tuple[tuple[object, ...], tuple[int, ...]] | None = None
        """((width, columns, natural widths), `column_widths` of them): the last one asked."""
        self._sort_key = sort_key
        self._sort_column: int | None = None
        self._sort_reverse = False
        self._order: list[str] = []
        self._pending: dict[str, None] = {}
        """Keys shown but not placed in `_order` yet (an ordered set)."""
        self._order_dirty = False
        self.cursor_key: str | None = None
        self._last_cursor_index = 0
        self._filter_to_first = False
        """Set by `filter_to_first_match` while its filter is applied."""
        self._announced_key: str | None = None
        self._empty_message = empty_message
        self._title_shown: str | Text | None = None
        self._subtitle_shown: str | Text | None = None
        self.lines_drawn = 0
        """Lines rendered so far (the bench reads it: display work per batch)."""
        self._drawing: tuple[Style, int] | None = None
        """The style and width of the lines being drawn, while `render_lines` draws them."""
        self.lines_built = 0
        """Of those, lines built anew (not from the cache of drawn lines)."""
        self._strip_cache: dict[str, dict[tuple[bool, bool, int], Strip]] = {}
        self._clock_texts: dict[str, tuple[tuple[str, object], ...]] = {}
        """Row key -> the text of its time cells when its cached lines were drawn."""
        """Row key -> (is the cursor, has the focus, width) -> its drawn line."""
        self._clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._now = self._clock()
        self._filter = RowFilter()
        self.labels_of: Callable[[str], Labels | None] | None = None
        """key -> the labels of the row's object, for `-l` filters (None: no labels)."""
        self.cursor_moved: Callable[[str | None], None] | None = None
        """Called with the new cursor key the moment the cursor moves onto another key, before
        `Highlighted` is posted: a key typed in the same instant as a cursor move (`g h` in one
        write) is handled before that message, and must find the pane below already following
        the new row."""

    @property
    def clock(self) -> Callable[[], datetime]:
        """What "now" is for the time cells (the app's clock)."""
        return self._clock

    @clock.setter
    def clock(self, clock: Callable[[], datetime]) -> None:
        # Read it at once: rows drawn before the first tick must not age by the wall clock
        # when the app runs on another (a frozen clock in snapshots, a replayed timeline).
        self._clock = clock
        self._now = clock()

    filter_clear_hint = "esc clears the filter"
    """How the screen clears a filter: said when the filter leaves no row."""

    @property
    def empty_message(self) -> str:
        """What the pane says when it has no rows."""
        return self._empty_message

    @empty_message.setter
    def empty_message(self, message: str) -> None:
        if message != self._empty_message:
            self._empty_message = message
            self.refresh()

    @property
    def shown_empty_message(self) -> str:
        """What the pane says with no row shown: that the filter matches none of its rows when
        it has some (not "No workloads in this scope.", which sent users looking for a wrong
        namespace), else `empty_message`."""
        row_filter = self._filter
        if self._rows and row_filter.active:
            if row_filter.error:
                return f"Not a filter: {row_filter.error} ({self.filter_clear_hint})."
            return f"Nothing matches{self.filter_description} ({self.filter_clear_hint})."
        return self._empty_message

    def set_title(self, title: str | Text) -> None:
        """`border_title`, assigned only when it changed: Textual repaints every line of the
        widget on each assignment, and the main screen sets its titles after every batch."""
        if title != self._title_shown:
            self._title_shown = title
            self.border_title = title

    def set_subtitle(self, subtitle: str | Text) -> None:
        """`border_subtitle`, assigned only when it changed (see `set_title`)."""
        if subtitle != self._subtitle_shown:
            self._subtitle_shown = subtitle
            self.border_subtitle = subtitle

    # ---------------------------------------------------------------- data

    @property
    def row_count(self) -> int:
        """Rows shown (after filtering)."""
        self._ensure_order()
        return len(self._order)

    @property
    def total_count(self) -> int:
        return len(self._rows)

    def all_keys(self) -> list[str]:
        """Every row's key, shown or filtered out, in no particular order."""
        return list(self._rows)

    def ordered_keys(self) -> list[str]:
        """Keys in display order (sorted, filtered)."""
        self._ensure_order()
        return list(self._order)

    def row(self, key: str) -> Row | None:
        return self._rows.get(key)

    def apply(self, upserts: Mapping[str, Row], deletes: Iterable[str] = ()) -> None:
        """Apply a keyed diff: only rows whose cells changed are touched.

        The order is kept, not recomputed: a row that is added, moves (its sort value changed)
        or enters or leaves the filter is taken out of the order where it was (found by binary
        search on the cached sort values) and placed again where it belongs; the rows placed in
        one batch are merged in at once. So a batch costs its own rows (log n each) plus one
        copy of the order, never a sort of every row: a pane filling with 100,000 pods in pages
        of 500 used to sort everything it held for every page. Cell changes elsewhere only
        repaint.
        """
        changed = False
        structural = False
        changed_keys: list[str] = []
        widths_before = list(self._natural_widths)
        row_filter = self._filter
        dirty = self._order_dirty
        gone = [key for key in deletes if key in self._rows]
        if gone:
            changed = structural = True
            if not dirty:
                if len(gone) > 64:
                    drop = set(gone)
                    self._order = [k for k in self._order if k not in drop]
                    for key in drop:
                        self._pending.pop(key, None)
                else:
                    for key in gone:
                        self._unplace(key, self._sort_values[key])
            for key in gone:
                del self._rows[key]
                self._search_text.pop(key, None)
                self._sort_values.pop(key, None)
                self._clock_texts.pop(key, None)
        for key, row in upserts.items():
            old = self._rows.get(key)
            if old == row:
                # Labels are not in the cells: a row may enter or leave a `-l` filter unchanged.
                if row_filter.by_labels and not dirty:
                    value = self._sort_values[key]
                    shown = self._is_shown(key, value)
                    if self._passes(key, self._search_text.get(key, "")) != shown:
                        if shown:
                            self._unplace(key, value)
                        else:
                            self._pending[key] = None
                        changed = structural = True
                continue
            self._rows[key] = row
            text = "\t".join(_plain(c) for c in row)
            for i, fit in self._searched_fits:
                if i < len(row):  # the short form a narrow column shows is found by `/` too
                    text += "\t" + fit(Text(_plain(row[i])), 0).plain
            text = text.lower()
            self._search_text[key] = text
            value = self._row_sort_value(key, row)
            if not dirty:
                passes = not row_filter.active or self._passes(key, text)
                if old is None:
                    if passes:
                        self._pending[key] = None
                        structural = True
                else:
                    # Taken out by its old sort value, before the new one is stored: the
                    # binary search reads the stored values of the rows it passes.
                    old_value = self._sort_values[key]
                    shown = not row_filter.active or self._is_shown(key, old_value)
                    if shown != passes or (shown and old_value != value):
                        if shown:
                            self._unplace(key, old_value)
                        if passes:
                            self._pending[key] = None
                        structural = True
            self._sort_values[key] = value
            self._grow_widths(row)
            changed = True
            changed_keys.append(key)
        if not changed:
            return
        if not (structural or dirty) and self._natural_widths == widths_before:
            # Only cells changed, in rows that stay where they are, with the same column
            # widths: the order, the cursor and the other lines are as they were. Forget
            # those rows' lines only, and repaint the pane if one of them is on screen: its
            # other lines come from the cache (under churn most batches are this: a few rows
            # of many). The whole pane, not `refresh_line`: a line refreshed alone in the same
            # frame as a layout of the screen stayed as it was on the terminal.
            top = int(self.scroll_y)
            bottom = top + max(0, self.size.height - 1)
            shown = False
            for key in changed_keys:
                self._strip_cache.pop(key, None)
                index = self._position(key)
                shown = shown or (index is not None and top <= index < bottom)
            if shown:
                self.refresh()
            return
        if self._natural_widths != widths_before:
            self._strip_cache.clear()
        else:
            # A line is cached per row key, not per place: rows that only moved (others were
            # added or removed around them) are drawn as they were.
            for key in changed_keys:
                self._strip_cache.pop(key, None)
            for key in gone:
                self._strip_cache.pop(key, None)
        self._after_change()

    # The order: `_order` holds the shown keys sorted by `_sort_values` (descending when the
    # sort is reversed); `_pending` the keys to place in it at the next `_ensure_order`.

    def _before(self, a: Any, b: Any) -> bool:
        """Whether sort value `a` comes before `b` in the display order."""
        return bool(b < a) if self._sort_reverse else bool(a < b)

    def _insert_position(self, value: Any, lo: int = 0) -> int:
        """The first index of `_order` (from `lo`) whose row does not come before `value`."""
        order = self._order
        values = self._sort_values
        hi = len(order)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._before(values[order[mid]], value):
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _position(self, key: str, value: Any = None) -> int | None:
        """Where `key` is in `_order` (None: not placed), found by its sort value."""
        if value is None:
            value = self._sort_values.get(key)
            if value is None:
                return None
        order = self._order
        index = self._insert_position(value)
        # Rows whose sort values tie (a custom sort key) sit side by side.
        while index < len(order):
            here = order[index]
            if here == key:
                return index
            if self._sort_values[here] != value:
                return None
            index += 1
        return None

    def _is_shown(self, key: str, value: Any) -> bool:
        return key in self._pending or self._position(key, value) is not None

    def _unplace(self, key: str, value: Any) -> None:
        if key in self._pending:
            del self._pending[key]
            return
        index = self._position(key, value)
        if index is not None:
            del self._order[index]

    def _row_sort_value(self, key: str, row: Row) -> Any:
        if self._sort_key is not None and self._sort_column is None:
            return self._sort_key(key, row)
        column = self._sort_column or 0
        value = _sort_value(row[column]) if column < len(row) else (0, ())
        # Ties (every healthy workload under HEALTH) by the row's name, not by its uid.
        name = _sort_value(row[0]) if column and row else (0, ())
        return (value, name, key)

    def replace_all(self, rows: Mapping[str, Row]) -> None:
        """Make the table hold exactly `rows`, by keyed diff against what it holds."""
        stale = [key for key in self._rows if key not in rows]
        self.apply(rows, stale)

    def clear(self) -> None:
        self.apply({}, list(self._rows))
        self._natural_widths = [len(c.label) for c in self.columns]

    def set_columns(self, columns: Iterable[Column]) -> None:
        """Show other columns (rows are dropped: they were built for the old ones). A sort by a
        column that the new set also has is kept."""
        new = tuple(columns)
        if new == self.columns:
            return
        sort_column, reverse = self.sort_state
        self.clear()
        self.columns = new
        self._searched_fits = _searched_fits(new)
        self._natural_widths = [len(c.label) for c in new]
        keys = [c.key for c in new]
        self._sort_column = keys.index(sort_column) if sort_column in keys else None
        self._sort_reverse = reverse if self._sort_column is not None else False
        self._strip_cache.clear()
        self.refresh()

    def sort_by(self, column_key: str | None, reverse: bool = False) -> None:
        """Sort by a column's plain text (None: the table's own sort key)."""
        if column_key is None:
            self._sort_column = None
        else:
            self._sort_column = [c.key for c in self.columns].index(column_key)
        self._sort_reverse = reverse
        self._sort_values = {k: self._row_sort_value(k, row) for k, row in self._rows.items()}
        self._order_dirty = True
        self._after_change()

    @property
    def sort_state(self) -> tuple[str | None, bool]:
        column = None if self._sort_column is None else self.columns[self._sort_column].key
        return column, self._sort_reverse

    @property
    def filter_description(self) -> str:
        """The active filter for the pane title (" /web", " /-l app=web"), or ""."""
        return self._filter.describe()

    def _labels(self, key: str) -> Labels:
        labels = self.labels_of(key) if self.labels_of is not None else None
        return labels if labels is not None else {}

    def _passes(self, key: str, text: str) -> bool:
        return self._filter.matches(text, lambda: self._labels(key))

    def watch_filter_text(self) -> None:
        self._filter = RowFilter.parse(self.filter_text)
        self._order_dirty = True
        if self._filter_to_first:
            self._ensure_order()
            self.cursor_key = self._order[0] if self._order else None
            self._last_cursor_index = 0
        self._after_change()

    def filter_to_first_match(self, text: str) -> None:
        """Filter by `text` with the cursor on the first match (k9s), moved once: the panes
        that follow the cursor are filled once per keystroke, not for the row the filter left
        the cursor near and again for the first. The same text again moves nothing."""
        self._filter_to_first = True
        try:
            self.filter_text = text
        finally:
            self._filter_to_first = False

    def tick(self) -> None:
        """Repaint the visible lines whose time cells read differently now (ages keep
        ticking; "3h" stays "3h" for an hour, and its line is not drawn again)."""
        self._now = self.clock()
        if self._grow_visible_clock_cells():
            self._strip_cache.clear()
            self.refresh()
            return
        top = int(self.scroll_y)
        changed = False
        for key in self._order[top : top + max(1, self.size.height)]:
            drawn = self._clock_texts.get(key)
            row = self._rows.get(key)
            if drawn is None or row is None:
                continue
            if _clock_texts(row, self._now) != drawn:
                self._strip_cache.pop(key, None)
                changed = True
        if changed:
            # The whole pane, its other lines from the cache (see `apply` on `refresh_line`:
            # ages stayed "0s" on screen in the demo's first seconds).
            self.refresh()

    def _grow_widths(self, row: Row, *, clocks_only: bool = False) -> None:
        widths = self._natural_widths
        now = self._now
        for i, cell in enumerate(row[: len(widths)]):
            if clocks_only and isinstance(cell, str | Text):
                continue
            n = cell_width(cell, now)
            if n > widths[i]:
                widths[i] = n

    def _ensure_order(self) -> None:
        if self._order_dirty:
            self._order_dirty = False
            self._pending.clear()
            keys = (
                [k for k, text in self._search_text.items() if self._passes(k, text)]
                if self._filter.active
                else list(self._rows)
            )
            keys.sort(key=self._sort_values.__getitem__)
            if self._sort_reverse:
                keys.reverse()
            self._order = keys
            return
        if not self._pending:
            return
        values = self._sort_values
        new = sorted(self._pending, key=values.__getitem__, reverse=self._sort_reverse)
        self._pending.clear()
        order = self._order
        merged: list[str] = []
        start = 0
        for key in new:
            index = self._insert_position(values[key], start)
            merged += order[start:index]
            merged.append(key)
            start = index
        merged += order[start:]
        self._order = merged

    def _after_change(self) -> None:
        """Keep the cursor on its key and at the same place on screen."""
        old_index = self._last_cursor_index
        screen_offset = old_index - int(self.scroll_y)
        self._ensure_order()
        count = len(self._order)
        placed = self._position(self.cursor_key) if self.cursor_key is not None else None
        if placed is not None:
            index = placed
        elif count:
            # The row under the cursor vanished (or was filtered out): stay at the same index.
            index = min(old_index, count - 1)
            self.cursor_key = self._order[index]
        else:
            index = 0
            self.cursor_key = None
        self._last_cursor_index = index
        self._set_virtual_height(count + 1)
        if self.is_mounted and self.size.height > 1:
            visible = self.size.height - 1
            top = max(0, min(index - screen_offset, count - visible))
            if not top <= index < top + visible:
                top = max(0, index - visible + 1)
            self.set_scroll(None, top)
        self.refresh()
        self._announce()

    def _set_virtual_height(self, height: int) -> None:
        """The rows (and header) to scroll through. Assigning `virtual_size` lays out the whole
        screen (a Textual reactive with `layout=True`), which a pane filling with pages of
        pods did on every page; only the scrollbar depends on it, and the scrollbar's own
        update lays out the screen when it appears or goes (`show_vertical_scrollbar` is a
        layout reactive)."""
        size = Size(self.size.width, height)
        if size == self.virtual_size:
            return
        if not self.is_mounted or size.width != self.virtual_size.width:
            self.virtual_size = size
            return
        self.set_reactive(LiveTable.virtual_size, size)
        self._scroll_update(size)
        self.refresh()

    def _announce(self) -> None:
        if self.cursor_key != self._announced_key:
            self._announced_key = self.cursor_key
            if self.cursor_moved is not None:
                self.cursor_moved(self.cursor_key)
            self.post_message(self.Highlighted(self, self.cursor_key))

    # -------------------------------------------------------------- cursor

    def move_cursor_to_key(self, key: str) -> bool:
        self._ensure_order()
        index = self._position(key)
        if index is None:
            return False
        self._move_to(index)
        return True

    def _move_to(self, index: int) -> None:
        self._ensure_order()
        if not self._order:
            return
        index = max(0, min(index, len(self._order) - 1))
        self.cursor_key = self._order[index]
        self._last_cursor_index = index
        visible = max(1, self.size.height - 1)
        top = int(self.scroll_y)
        if index < top:
            self.set_scroll(None, index)
        elif index >= top + visible:
            self.set_scroll(None, index - visible + 1)
        self._strip_cache.clear()
        self.refresh()
        self._announce()

    @property
    def cursor_index(self) -> int:
        self._ensure_order()
        index = self._position(self.cursor_key) if self.cursor_key else None
        return index or 0

    def action_cursor_up(self) -> None:
        self._move_to(self.cursor_index - 1)

    def action_cursor_down(self) -> None:
        self._move_to(self.cursor_index + 1)

    def action_page_up(self) -> None:
        self._move_to(self.cursor_index - max(1, self.size.height - 2))

    def action_page_down(self) -> None:
        self._move_to(self.cursor_index + max(1, self.size.height - 2))

    def action_cursor_top(self) -> None:
        self._move_to(0)

    def action_cursor_bottom(self) -> None:
        self._move_to(len(self._order) - 1)

    def action_select(self) -> None:
        if self.cursor_key is not None:
            self.post_message(self.Selected(self, self.cursor_key))

    async def _on_click(self, event: events.Click) -> None:
        row = event.y - 1 + int(self.scroll_y)
        if event.y >= 1 and 0 <= row < len(self._order):
            self._move_to(row)
            if event.chain == 2:
                self.action_select()

    def on_focus(self) -> None:
        self._strip_cache.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._strip_cache.clear()
        self.refresh()

    def on_resize(self) -> None:
        self._strip_cache.clear()
        self.virtual_size = Size(self.size.width, len(self._order) + 1)

    # ------------------------------------------------------------ rendering

    def column_widths(self, width: int) -> list[int]:
        """Each column as wide as its content (within its bounds). When the row is too wide,
        columns give up width from the highest `shrink` down (IMAGES first, the name last),
        each to its minimum; a column at 0 is left out (with its gap). What still does not fit
        is cut at the right edge. Kept for the last (width, columns, natural widths): every
        line drawn asks, and those change far less often than lines are drawn."""
        columns = self.columns
        memo_key = (width, columns, tuple(self._natural_widths))
        memo = self._widths_memo
        if memo is not None and memo[0] == memo_key:
            return list(memo[1])
        widths = self._column_widths(width)
        self._widths_memo = (memo_key, tuple(widths))
        return widths

    def _column_widths(self, width: int) -> list[int]:
        columns = self.columns
        widths = [
            max(c.min_width, min(c.max_width, n))
            for c, n in zip(columns, self._natural_widths, strict=True)
        ]

        def over() -> int:
            shown = sum(1 for w in widths if w > 0)
            return sum(widths) + 2 * max(0, shown - 1) - width

        natural = list(widths)
        excess = over()
        for i, column in enumerate(columns):
            floor = max(column.give_first_to, column.min_width)
            if column.give_first_to and excess > 0 and widths[i] > floor:
                given = min(excess, widths[i] - floor)
                widths[i] -= given
                excess -= given
        levels = sorted({c.shrink_order for c in columns if c.shrink_order > 0}, reverse=True)
        for level in levels:
            if excess <= 0:
                break
            group = [i for i, c in enumerate(columns) if c.shrink_order == level]
            while excess > 0:
                spare = [i for i in group if widths[i] > columns[i].min_width]
                if not spare:
                    break
                # The widest column of the level gives up a cell at a time; one that would be
                # narrower than 5 cells is left out instead (when it may be).
                i = max(spare, key=lambda j: widths[j] - columns[j].min_width)
                widths[i] -= 1
                if widths[i] < min(5, natural[i]) and columns[i].min_width == 0:
                    widths[i] = 0
                excess = over()
        if excess < 0:
            # Leaving a column out may free more than was needed: the columns cut give it back.
            for i in sorted(range(len(widths)), key=lambda j: -columns[j].shrink_order):
                if 0 < widths[i] < natural[i]:
                    back = min(-excess, natural[i] - widths[i])
                    widths[i] += back
                    excess += back
        return widths

    def _grow_visible_clock_cells(self) -> bool:
        """Ages get longer as time passes ("59s" -> "1m0s"): re-measure the clock cells of the
        rows on screen, so a column is never cut by its own ticking. True if one grew."""
        self._ensure_order()
        top = int(self.scroll_y)
        before = list(self._natural_widths)
        for key in self._order[top : top + max(1, self.size.height)]:
            row = self._rows.get(key)
            if row is not None:
                self._grow_widths(row, clocks_only=True)
        return before != self._natural_widths

    def render_lines(self, crop: Region) -> list[Strip]:
        # The widget's style and width, once for every line of this drawing (Textual draws
        # them in one go, `render_line` per line): `rich_style` walks every ancestor's styles,
        # a cost per line that a 50-row pane paid 50 times per repaint.
        self._drawing = (self.rich_style, self.scrollable_content_region.width)
        try:
            return super().render_lines(crop)
        finally:
            self._drawing = None

    def render_line(self, y: int) -> Strip:
        self.lines_drawn += 1
        if self._drawing is not None:
            base, width = self._drawing
        else:
            base, width = self.rich_style, self.scrollable_content_region.width
        if y == 0:
            return self._render_header(width, base)
        self._ensure_order()
        index = int(self.scroll_y) + y - 1
        if not self._order:
            if y == 2:
                style = self.get_component_rich_style("live-table--empty")
                message = visible("  " + self.shown_empty_message)[:width]
                return Strip([Segment(message, base + style)]).extend_cell_length(width, base)
            return Strip.blank(width, base)
        if index >= len(self._order):
            return Strip.blank(width, base)
        key = self._order[index]
        is_cursor = key == self.cursor_key
        cache_key = (is_cursor, self.has_focus, width)
        strips = self._strip_cache.get(key)
        if strips is None:
            if len(self._strip_cache) > 4096:
                self._strip_cache.clear()
                self._clock_texts.clear()
            strips = self._strip_cache[key] = {}
        strip = strips.get(cache_key)
        if strip is None:
            row = self._rows[key]
            strip = strips[cache_key] = self._render_row(row, width, base, is_cursor)
            self.lines_built += 1
            # What its time cells read when drawn: every cached line of a key is drawn with
            # the same `_now` (it changes only in `tick`, which drops the lines it changes).
            self._clock_texts[key] = _clock_texts(row, self._now)
        return strip

    def _render_header(self, width: int, base: Style) -> Strip:
        style = base + self.get_component_rich_style("live-table--header")
        sort_column, reverse = self.sort_state
        labels: list[Cell] = []
        for column in self.columns:
            label = column.label
            if column.key == sort_column:
                label += "↓" if reverse else "↑"
            labels.append(label)
        return self._render_cells(tuple(labels), width, style, header=True)

    def _render_row(self, row: Row, width: int, base: Style, is_cursor: bool) -> Strip:
        style = base
        if is_cursor:
            component = "live-table--cursor" if self.has_focus else "live-table--cursor-blurred"
            style = base + self.get_component_rich_style(component)
        return self._render_cells(row, width, style)

    def _render_cells(self, row: Row, width: int, style: Style, header: bool = False) -> Strip:
        widths = self.column_widths(width)
        natural = self._natural_widths
        line = Text(style=style, no_wrap=True, overflow="crop", end="")
        first = True
        for i, (column, cell_width) in enumerate(zip(self.columns, widths, strict=True)):
            if cell_width <= 0:
                continue
            cell = row[i] if i < len(row) else ""
            if isinstance(cell, str):
                text = safe_text(cell)
            elif isinstance(cell, Text):
                text = escape_text(cell).copy()
            else:
                text = escape_text(cell.text(self._now))
            if column.fit is not None and not header and cell_width < natural[i]:
                text = column.fit(text, cell_width)
            if text.cell_len > cell_width:
                if column.ellipsis == "middle":
                    text = middle_ellipsis(text, cell_width)
                else:
                    text.truncate(cell_width, overflow="ellipsis")
            if column.justify == "right":
                text.pad_left(cell_width - text.cell_len)
            else:
                text.pad_right(cell_width - text.cell_len)
            if not first:
                line.append("  ")
            first = False
            line.append_text(text)
        line.truncate(width, pad=True)
        # The cells are escaped already: this is the last gate, should a cell type slip by.
        strip = Strip(sanitize_segments(line.render(self.app.console), keep_newlines=False))
        if strip.cell_length != width:
            strip = strip.crop_extend(0, width, style)
        return strip.simplify()


def _clock_texts(row: Row, now: datetime) -> tuple[tuple[str, object], ...]:
    texts = (cell.text(now) for cell in row if not isinstance(cell, str | Text))
    return tuple((text.plain, text.style) for text in texts)


def middle_ellipsis(text: Text, width: int) -> Text:
    """`text` in `width` cells with its middle replaced by "…": both ends stay, so generated
    names that differ only at the end stay apart ("api-6cf…-fm6sf")."""
    if text.cell_len <= width:
        return text
    if width < 5:
        cut = text.copy()
        cut.truncate(width, overflow="ellipsis")
        return cut
    tail_cells = (width - 1) // 2
    head = text.copy()
    head.truncate(width - 1 - tail_cells)
    plain = text.plain
    start = len(plain)
    cells = 0
    while start > 0 and cells + cell_len(plain[start - 1]) <= tail_cells:
        start -= 1
        cells += cell_len(plain[start])
    tail = text[start:]
    return Text.assemble(head, "…", tail, style=text.style, end="")


def _natural_key(text: str) -> tuple[Any, ...]:
    """Sort "pod-2" before "pod-10" and numbers by value."""
    parts: list[Any] = []
    number = ""
    word = ""
    for ch in text:
        if ch.isdigit():
            if word:
                parts.append((1, word.lower()))
                word = ""
            number += ch
        else:
            if number:
                parts.append((0, int(number)))
                number = ""
            word += ch
    if number:
        parts.append((0, int(number)))
    if word:
        parts.append((1, word.lower()))
    return tuple(parts)
