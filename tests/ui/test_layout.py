"""Layout: column widths from content (names first, IMAGES gives up width first, names cut in
the middle, ages never cut by their own ticking) and pane heights by content and focus."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from ui_support import deployment, pod, replicaset, running_status, wait_for

from ktui.cluster.connection import Connection
from ktui.render.cells import TimeCell
from ktui.render.panes import POD_COLUMNS, Column
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.ui.app import make_app
from ktui.ui.live_table import LiveTable, middle_ellipsis

NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)


class TableApp(App[None]):
    def __init__(self, columns: list[Column]) -> None:
        super().__init__()
        self.columns = columns

    def compose(self) -> ComposeResult:
        yield LiveTable(self.columns)


def test_names_are_cut_in_the_middle_so_generated_names_stay_apart() -> None:
    assert middle_ellipsis(Text("api-6cfc67464f-fm6sf"), 14).plain == "api-6cf…-fm6sf"
    assert middle_ellipsis(Text("short"), 14).plain == "short"


async def test_images_give_up_width_first_and_the_pod_names_stay_distinct_at_80() -> None:
    app = TableApp(list(POD_COLUMNS))
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(LiveTable)
        row = ("", "1/2", "Running", "●", "0", TimeCell(NOW), "node-1", "10.244.1.5")
        table.apply(
            {
                "a": ("payments-worker-7d9f8c6b5-abcde", *row[1:]),
                "b": ("payments-worker-7d9f8c6b5-vwxyz", *row[1:]),
            }
        )
        await pilot.pause()
        widths = table.column_widths(60)
        keys = [c.key for c in table.columns]
        # IP and NODE (shrink 3) are left out before STATUS or the name lose a cell.
        assert widths[keys.index("ip")] == 0 and widths[keys.index("node")] == 0
        assert widths[keys.index("age")] >= 3
        strips = [table.render_line(y).text for y in (1, 2)]
        assert strips[0] != strips[1]
        assert "abcde" in table.render_line(1).text or "abcde" in table.render_line(2).text


async def test_the_column_widths_kept_follow_content_columns_and_width() -> None:
    """`column_widths` keeps its last answer: after a wider cell, a row gone, other columns or
    another width it is what working them out afresh gives."""
    app = TableApp(list(POD_COLUMNS))
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(LiveTable)
        row = ("", "1/2", "Running", "●", "0", TimeCell(NOW), "node-1", "10.244.1.5")

        def check(*widths: int) -> None:
            for width in widths:
                assert table.column_widths(width) == table._column_widths(width)

        check(60, 60, 120)
        table.apply({"a": ("web-1", *row[1:])})
        check(60, 120)
        table.apply({"b": ("payments-worker-7d9f8c6b5-abcde", *row[1:6], "a-long-node-name")})
        check(60, 60, 120)
        table.column_widths(60)[0] = 99  # a caller's list is its own
        check(60)
        table.set_columns([Column("name", "NAME"), Column("age", "AGE", justify="right")])
        table.apply({"a": ("web", TimeCell(NOW))})
        await pilot.pause()
        check(30, 60)
        assert len(table.column_widths(30)) == 2


async def test_an_age_column_grows_as_the_age_does() -> None:
    now = [NOW]
    app = TableApp([Column("name", "NAME"), Column("age", "AGE", justify="right")])
    async with app.run_test(size=(40, 6)) as pilot:
        table = app.query_one(LiveTable)
        table.clock = lambda: now[0]
        table.tick()
        table.apply({"a": ("web", TimeCell(NOW - timedelta(seconds=5)))})
        await pilot.pause()
        now[0] = NOW + timedelta(minutes=2, seconds=2)
        table.tick()
        await pilot.pause()
        assert "2m7s" in table.render_line(1).text


def seed(sim: SimServer) -> dict[str, Any]:
    store = sim.store
    objs: dict[str, Any] = {}
    for name in ("alpha", "beta", "gamma", "delta", "web"):
        dep = store.create("apps", "deployments", deployment(name, replicas=1))
        objs[name] = dep
    rs = store.create("apps", "replicasets", replicaset(objs["web"], "abc12", 1))
    for suffix in ("aaaaa", "bbbbb"):
        p = store.create("", "pods", pod(rs, suffix))
        store.update("", "pods", {**p, "status": running_status()}, subresource="status")
    return objs


def content_rows(table: LiveTable) -> int:
    return table.size.height - 1  # the header row


async def test_the_focused_pane_never_has_zero_rows_at_60x15(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(60, 15)) as pilot:
        screen = app.screen
        workloads = screen.query_one("#workloads", LiveTable)
        children = screen.query_one("#children", LiveTable)
        pods = screen.query_one("#pods", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 5, "five deployments")
        workloads.move_cursor_to_key(objs["web"]["metadata"]["uid"])
        await wait_for(pilot, lambda: pods.total_count == 2, "web's pods")
        await pilot.pause()
        assert content_rows(workloads) >= 3
        for pane in (children, pods, workloads):
            await pilot.press("tab")
            await pilot.pause()
            assert screen.focused is pane
            assert content_rows(pane) >= 1, pane.id
        # At 80x24 each pane shows its rows (the ReplicaSets pane fits its content).
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.pause()
        assert content_rows(workloads) >= 5
        assert content_rows(children) >= 1 and content_rows(pods) >= 2
