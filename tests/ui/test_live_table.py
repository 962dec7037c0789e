"""LiveTable: keyed diff, cursor that follows its key, filtering and sorting under updates."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult

from ktui.render.cells import short_kind_text
from ktui.ui.live_table import Column, LiveTable


class TableApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.highlighted: list[str | None] = []

    def compose(self) -> ComposeResult:
        yield LiveTable(
            [Column("name", "NAME", flexible=True), Column("status", "STATUS")],
            empty_message="No pods.",
        )

    def on_live_table_highlighted(self, message: LiveTable.Highlighted) -> None:
        self.highlighted.append(message.key)


def rows(n: int, status: str = "Running") -> dict[str, tuple[str, str]]:
    return {f"uid-{i}": (f"pod-{i}", status) for i in range(n)}


async def test_cursor_stays_on_its_row_while_rows_appear_above_it() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(LiveTable)
        table.focus()
        table.apply(rows(50))
        await pilot.pause()
        for _ in range(20):
            await pilot.press("down")
        assert table.cursor_key == "uid-20"
        offset_before = table.cursor_index - int(table.scroll_y)
        # Rows that sort before the cursor's row arrive: the cursor must stay on uid-20,
        # at the same line on screen.
        table.apply({"uid-a": ("pod-0a", "Pending"), "uid-b": ("pod-1a", "Pending")})
        await pilot.pause()
        assert table.cursor_key == "uid-20"
        assert table.cursor_index == 22
        assert table.cursor_index - int(table.scroll_y) == offset_before


async def test_deleted_cursor_row_moves_cursor_to_neighbour() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(LiveTable)
        table.focus()
        table.apply(rows(5))
        await pilot.pause()
        await pilot.press("down", "down")
        assert table.cursor_key == "uid-2"
        table.apply({}, ["uid-2"])
        await pilot.pause()
        assert table.cursor_key == "uid-3"
        assert app.highlighted[-1] == "uid-3"
        table.apply({}, ["uid-0", "uid-1", "uid-3", "uid-4"])
        await pilot.pause()
        assert table.cursor_key is None
        assert app.highlighted[-1] is None


async def test_update_changes_only_cells_and_keeps_order() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(LiveTable)
        table.apply(rows(3))
        table.apply({"uid-1": ("pod-1", "Failed")})
        await pilot.pause()
        assert table.ordered_keys() == ["uid-0", "uid-1", "uid-2"]
        assert table.row("uid-1") == ("pod-1", "Failed")
        table.replace_all({"uid-1": ("pod-1", "Failed"), "uid-9": ("pod-9", "Pending")})
        assert table.ordered_keys() == ["uid-1", "uid-9"]


async def test_filter_survives_updates_and_sort_by_column() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(LiveTable)
        table.apply(rows(12))
        table.filter_text = "pod-1"
        await pilot.pause()
        assert table.ordered_keys() == ["uid-1", "uid-10", "uid-11"]
        table.apply({"uid-100": ("pod-100", "Pending"), "uid-5": ("pod-5", "Failed")})
        assert table.ordered_keys() == ["uid-1", "uid-10", "uid-11", "uid-100"]
        table.sort_by("name", reverse=True)
        assert table.ordered_keys() == ["uid-100", "uid-11", "uid-10", "uid-1"]
        table.filter_text = ""
        table.sort_by("name")
        keys = table.ordered_keys()
        # natural order: pod-2 before pod-10
        assert keys.index("uid-2") < keys.index("uid-10")


async def test_renders_visible_rows_and_empty_message() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 8)) as pilot:
        table = app.query_one(LiveTable)
        await pilot.pause()
        assert "No pods." in table.render_line(2).text
        table.apply(rows(1000))
        await pilot.pause()
        assert "NAME" in table.render_line(0).text
        assert "pod-0" in table.render_line(1).text
        table.action_cursor_bottom()
        await pilot.pause()
        last_line = table.render_line(table.size.height - 1).text
        assert "pod-999" in last_line


async def test_updates_reorder_only_when_the_sort_value_or_filter_match_changes() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(LiveTable)
        table.apply(rows(5))
        table.sort_by("status")
        table.apply({"uid-3": ("pod-3", "Pending")})  # the sort value changed: moves first
        await pilot.pause()
        assert table.ordered_keys()[0] == "uid-3"
        table.apply({"uid-3": ("pod-3-renamed", "Pending")})  # another cell: stays first
        assert table.ordered_keys()[0] == "uid-3"
        assert table.row("uid-3") == ("pod-3-renamed", "Pending")
        table.filter_text = "pending"
        assert table.ordered_keys() == ["uid-3"]
        table.apply({"uid-1": ("pod-1", "Pending")})  # starts matching the filter
        assert table.ordered_keys() == ["uid-1", "uid-3"]
        table.apply({"uid-3": ("pod-3", "Running")})  # stops matching it
        assert table.ordered_keys() == ["uid-1"]
        table.apply({}, ["uid-1"])
        assert table.ordered_keys() == []


async def test_set_columns_drops_rows_and_keeps_a_sort_the_new_columns_share() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(LiveTable)
        table.apply(rows(3))
        table.sort_by("status", reverse=True)
        table.set_columns(
            [Column("ns", "NAMESPACE"), Column("name", "NAME"), Column("status", "STATUS")]
        )
        await pilot.pause()
        assert table.total_count == 0
        assert table.sort_state == ("status", True)
        table.apply({"a": ("x", "pod-a", "Running"), "b": ("x", "pod-b", "Pending")})
        assert table.ordered_keys() == ["a", "b"]
        assert "NAMESPACE" in table.render_line(0).text
        table.set_columns([Column("name", "NAME")])
        assert table.sort_state == (None, False)


async def test_a_cell_change_in_place_builds_that_rows_line_only() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(LiveTable)
        table.apply(rows(50))
        await pilot.pause()
        built, drawn = table.lines_built, table.lines_drawn
        table.apply({"uid-3": ("pod-3", "Failed")})  # same width, same place in the order
        await pilot.pause()
        assert table.lines_built - built == 1, "that row's line only is built again"
        assert table.lines_drawn > drawn, "and the pane repainted (the rest from the cache)"
        assert "Failed" in table.render_line(4).text
        assert "Running" in table.render_line(5).text
        built, drawn = table.lines_built, table.lines_drawn
        table.apply({"uid-40": ("pod-40", "Failed")})  # below the screen: nothing to draw
        await pilot.pause()
        assert table.lines_drawn == drawn
        # A wider cell changes the column widths: every line is built again.
        table.apply({"uid-4": ("pod-4", "CrashLoopBackOff")})
        await pilot.pause()
        assert table.lines_built - built > 5
        assert "CrashLoopBackOff" in table.render_line(5).text


class AgeTableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LiveTable([Column("name", "NAME", flexible=True), Column("age", "AGE")])


async def test_a_tick_redraws_only_the_lines_whose_age_reads_differently() -> None:
    from datetime import UTC, datetime, timedelta

    from ktui.render.cells import TimeCell

    now = datetime(2026, 12, 6, 12, 0, 0, tzinfo=UTC)
    clock = [now]
    app = AgeTableApp()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(LiveTable)
        table.clock = lambda: clock[0]
        table.apply(
            {
                "old-1": ("old-1", TimeCell(now - timedelta(hours=3))),
                "old-2": ("old-2", TimeCell(now - timedelta(hours=5))),
                "young": ("young", TimeCell(now - timedelta(seconds=5))),
            }
        )
        await pilot.pause()
        built = table.lines_built
        clock[0] = now + timedelta(seconds=1)  # "5s" -> "6s"; "3h" and "5h" stay
        table.tick()
        await pilot.pause()
        assert table.lines_built - built == 1
        assert "6s" in table.render_line(3).text  # young sorts last: line 3
        drawn = table.lines_drawn
        clock[0] = now + timedelta(seconds=1, milliseconds=300)  # nothing reads differently
        table.tick()
        await pilot.pause()
        assert table.lines_drawn == drawn
        # What a deleted row's ages read goes with it (pods come and go all day).
        table.apply({}, ["young"])
        await pilot.pause()
        assert "young" not in table._clock_texts


async def test_growing_rows_move_the_scrollbar_and_the_last_row_stays_reachable() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(LiveTable)
        table.focus()
        table.apply(rows(5))
        await pilot.pause()
        assert not table.show_vertical_scrollbar
        table.apply(rows(30))  # outgrows the pane: the scrollbar appears
        await pilot.pause()
        assert table.show_vertical_scrollbar
        assert table.vertical_scrollbar.window_virtual_size == 31
        table.apply({f"uid-{i}": (f"pod-{i}", "Running") for i in range(30, 90)})
        await pilot.pause()
        assert table.virtual_size.height == 91
        assert table.vertical_scrollbar.window_virtual_size == 91
        await pilot.press("G")
        assert table.cursor_key == "uid-89"
        last_line = table.size.height - 1
        assert "pod-89" in table.render_line(last_line).text
        table.apply({}, [f"uid-{i}" for i in range(3, 90)])  # shrinks back: no scrollbar
        await pilot.pause()
        assert not table.show_vertical_scrollbar
        assert table.cursor_key == "uid-2"


async def test_rows_that_only_move_keep_their_drawn_lines() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(LiveTable)
        table.apply(rows(5))
        await pilot.pause()
        before = table.render_line(3)  # pod-2
        assert "pod-2" in before.text
        table.apply({"uid-a": ("pod-1", "Pending")})  # sorts above pod-2: it moves down
        await pilot.pause()
        assert table.render_line(4) is before, "pod-2 moved a line down, drawn as it was"
        table.apply({"uid-2": ("pod-2", "Failed")})  # its cells changed: drawn again
        await pilot.pause()
        assert "Failed" in table.render_line(4).text
        table.apply({"uid-w": ("pod-9-with-a-much-longer-name", "Pending")})  # widths change
        await pilot.pause()
        assert len(table.render_line(4).text) == len(table.render_line(6).text)


async def test_a_drawing_works_out_the_tables_style_once_not_per_line() -> None:
    """`rich_style` walks every ancestor's styles: a repaint of the table asks for it once per
    drawing (`render_lines`), not once per line; the lines come out as they did."""
    app = TableApp()
    async with app.run_test(size=(60, 24)) as pilot:
        table = app.query_one(LiveTable)
        table.apply(rows(100))
        await pilot.pause()
        asked: list[int] = []
        drawings: list[int] = []
        style_of = LiveTable.rich_style
        render_lines = LiveTable.render_lines

        def counted_style(widget: LiveTable) -> Any:
            asked.append(1)
            return style_of.fget(widget)  # type: ignore[attr-defined]

        def counted_lines(widget: LiveTable, crop: Any) -> Any:
            drawings.append(crop.height)
            return render_lines(widget, crop)

        before = [table.render_line(y) for y in range(table.size.height)]
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(LiveTable, "rich_style", property(counted_style))
            patch.setattr(LiveTable, "render_lines", counted_lines)
            table.refresh()
            await pilot.pause()
        assert drawings and sum(drawings) >= table.size.height
        assert len(asked) <= len(drawings)
        assert [table.render_line(y) for y in range(table.size.height)] == before


async def test_filter_to_first_match_moves_the_cursor_once() -> None:
    """The cursor's row is filtered out: the cursor goes to the first match in one move, not
    to the match nearest its old place and then to the first (the panes that follow the
    cursor would be filled twice a keystroke)."""
    app = TableApp()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(LiveTable)
        table.focus()
        table.apply(
            {"uid-a1": ("a-1", "Running"), "uid-a2": ("a-2", "Running"), "uid-b": ("b", "x")}
        )
        await pilot.pause()
        await pilot.press("end")
        assert table.cursor_key == "uid-b"
        moves: list[str | None] = []
        table.cursor_moved = moves.append
        table.filter_to_first_match("running")
        assert table.cursor_key == "uid-a1"
        assert moves == ["uid-a1"]
        # The same text again is no new filter: the cursor stays where the user put it.
        await pilot.press("down")
        assert table.cursor_key == "uid-a2"
        table.filter_to_first_match("running")
        assert table.cursor_key == "uid-a2"


async def test_a_filter_finds_the_short_kind_names_a_narrow_column_shows() -> None:
    """`/sts` finds a StatefulSet whether or not the KIND column is narrow enough to show
    "sts"; the other columns' fit forms (the pods bar) are not searched."""
    app = TableApp()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(LiveTable)
        table.set_columns(
            [
                Column("name", "NAME", flexible=True),
                Column("kind", "KIND", fit=short_kind_text, fit_searched=True),
                Column("other", "OTHER", fit=short_kind_text),
            ]
        )
        table.apply(
            {
                "db": ("db", "StatefulSet", "Job"),
                "web": ("web", "Deployment", "CronJob"),
                "report": ("report", "CronJob", "Job"),
            }
        )
        for words, keys in [("sts", ["db"]), ("cj", ["report"]), ("deploy", ["web"])]:
            table.filter_text = words
            await pilot.pause()
            assert table.ordered_keys() == keys, words
