"""`?`'s CONTAINERS legend explains every glyph the CONTAINERS column can draw, with the meaning
it has there (built from the same tables), and reads whole at 80x24."""

from __future__ import annotations

from collections.abc import Callable
from typing import get_args

from rich.table import Table
from rich.text import Text
from ui_support import deployment, pod, replicaset, running_status, wait_for

from ktui.cluster.connection import Connection
from ktui.render.cells import BADGE_STYLE, badge_keys_text
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.ui.app import make_app
from ktui.ui.live_table import LiveTable
from ktui.ui.screens.events import EventsScreen
from ktui.ui.screens.help import HelpScreen, glyph_legend
from ktui.ui.widgets.scroll import Scroll
from ktui.view.pod import BadgeState, ContainerGroup

# Words the legend must use for each state; a state added to BadgeState without a meaning here
# fails the test (KeyError), so it cannot reach the column unexplained.
STATE_MEANS: dict[BadgeState, str] = {
    BadgeState.READY: "running and ready",
    BadgeState.RUNNING: "running, not ready",
    BadgeState.WAITING: "waiting to start",
    BadgeState.ERROR: "cannot start",
    BadgeState.CRASHLOOP: "crash loop",
    BadgeState.TERMINATING: "being deleted",
    BadgeState.SUCCEEDED: "done",
    BadgeState.FAILED: "failed",
}

GROUP_MEANS: dict[str, str] = {"init": "init container", "sidecar": "sidecar", "main": "app"}


def legend_rows(table: Table) -> list[tuple[Text, str]]:
    glyphs, means = table.columns
    return [
        (glyph if isinstance(glyph, Text) else Text(str(glyph)), str(meaning))
        for glyph, meaning in zip(glyphs._cells, means._cells, strict=True)
    ]


def test_every_glyph_the_containers_column_draws_is_in_the_legend_with_its_meaning() -> None:
    rows = legend_rows(glyph_legend())
    for group in get_args(ContainerGroup):
        for state in BadgeState:
            drawn = badge_keys_text(((group, state),))
            glyph = drawn.plain
            style = str(drawn.spans[0].style) if drawn.spans else ""
            assert style == BADGE_STYLE[state]
            explained = [
                meaning
                for cell, meaning in rows
                if glyph in cell.plain.split() and str(cell.style) == style
            ]
            assert explained, f"{glyph!r} ({group}, {state}) is not in the legend"
            assert any(STATE_MEANS[state] in meaning for meaning in explained), (
                f"{glyph!r} is explained as {explained}, not {STATE_MEANS[state]!r}"
            )


def test_every_shape_says_its_container_kind_and_hollow_means_running_not_ready() -> None:
    rows = legend_rows(glyph_legend())
    for group in get_args(ContainerGroup):
        filled = badge_keys_text(((group, BadgeState.READY),)).plain
        hollow = badge_keys_text(((group, BadgeState.RUNNING),)).plain
        assert any(
            cell.plain.split() == [filled, hollow] and GROUP_MEANS[group] in meaning
            for cell, meaning in rows
        ), f"{filled} {hollow} do not say {GROUP_MEANS[group]!r}"
        # Hollow alone is not "before it runs" nor a colour: it is a container running, not ready.
        for cell, meaning in rows:
            if hollow in cell.plain.split() and filled not in cell.plain.split():
                assert "running, not ready" in meaning, f"{hollow} is explained as {meaning!r}"
    separator = badge_keys_text((("init", BadgeState.READY), ("main", BadgeState.READY))).plain[1]
    assert separator not in "■●"
    assert any(cell.plain == separator for cell, _ in rows)


async def test_question_mark_shows_the_whole_legend_readable_at_80x24(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    store = sim.store
    web = store.create("apps", "deployments", deployment("web", replicas=1))
    rs = store.create("apps", "replicasets", replicaset(web, "abc12", 1))
    created = store.create("", "pods", pod(rs, "aaaaa"))
    store.update("", "pods", {**created, "status": running_status()}, subresource="status")
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(80, 24)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 1, "web listed")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        scroll = app.screen.query_one(Scroll)
        await pilot.press("end")
        await wait_for(pilot, lambda: scroll.scroll_y == scroll.max_scroll_y > 0, "at the end")
        await pilot.pause()
        strips = app.screen._compositor.render_strips()
        screen_lines = ["".join(s.text for s in strip if not s.control) for strip in strips]
        # Each legend row fits on one screen line: its glyphs and its whole meaning together.
        for cell, meaning in legend_rows(glyph_legend()):
            assert any(cell.plain in line and meaning in line for line in screen_lines), (
                f"{cell.plain} {meaning!r} is not whole on one line at 80x24"
            )


async def test_question_mark_lists_the_colon_commands_only_where_colon_works(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    store = sim.store
    web = store.create("apps", "deployments", deployment("web", replicas=1))
    rs = store.create("apps", "replicasets", replicaset(web, "abc12", 1))
    store.create("", "pods", pod(rs, "aaaaa"))
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(100, 40)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 1, "web listed")
        main = app.screen
        # The main screen opens the `:` bar: its help lists the commands.
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        assert "COMMAND (after :)" in help_screen.shown_text()
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: app.screen is main, "help closed")
        # The events screen has no `:` bar: its help does not list the commands.
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EventsScreen), "events screen")
        events_screen = app.screen
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        text = help_screen.shown_text()
        assert "COMMAND (after :)" not in text and "Back" in text
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: app.screen is events_screen, "help closed")
        # `:` there does nothing (the help does not promise it).
        await pilot.press("colon")
        assert app.screen is events_screen
