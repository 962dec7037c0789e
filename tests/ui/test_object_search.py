"""`/` in the YAML and describe screens (marked matches, `n`/`N`, "match i of n") and in the
events screen (a filter), against the embedded API server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from rich.text import Text
from textual.widgets import Input
from ui_support import deployment, loaded, pod, replicaset, send_at_once, wait_for

from ktui.cluster.connection import Connection
from ktui.config import Config
from ktui.render.describe import CURRENT_MATCH_STYLE, MATCH_STYLE, highlight_text, yaml_syntax
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.live_table import LiveTable
from ktui.ui.screens.events import EventsScreen
from ktui.ui.screens.logs import LogsScreen
from ktui.ui.screens.yaml_view import DescribeScreen, ObjectScreen, YamlScreen
from ktui.ui.widgets.events import EventTable
from ktui.ui.widgets.scroll import Scroll

Obj = dict[str, Any]


def seed(sim: SimServer) -> dict[str, Obj]:
    """A Deployment whose container has 40 variables: its YAML is taller than the screen."""
    store = sim.store
    spec = deployment("web", replicas=1)
    container = spec["spec"]["template"]["spec"]["containers"][0]
    container["env"] = [{"name": f"VAR_{n:02}", "value": f"value {n}"} for n in range(40)]
    dep = store.create("apps", "deployments", spec)
    rs = store.create("apps", "replicasets", replicaset(dep, "abc12", 1))
    created = store.create("", "pods", pod(rs, "p1"))
    return {"dep": dep, "rs": rs, "pod": created}


def event(name: str, involved: Obj, kind: str, reason: str) -> Obj:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": "default"},
        "involvedObject": {
            "kind": kind,
            "name": involved["metadata"]["name"],
            "namespace": "default",
            "uid": involved["metadata"]["uid"],
        },
        "type": "Normal",
        "reason": reason,
        "message": f"{reason} happened",
        "count": 1,
        "firstTimestamp": now,
        "lastTimestamp": now,
        "source": {"component": "kubelet"},
    }


def title_of(screen: Any, selector: str = "#object-title") -> str:
    content = screen.query_one(selector).content
    return content.plain if isinstance(content, Text) else str(content)


async def select_workload(app: KtuiApp, pilot: Any, objs: dict[str, Obj]) -> None:
    workloads = app.screen.query_one("#workloads", LiveTable)
    await wait_for(pilot, lambda: workloads.total_count == 1, "the deployment listed")
    workloads.move_cursor_to_key(objs["dep"]["metadata"]["uid"])


def current_in_view(screen: ObjectScreen) -> bool:
    row = screen._current_row(screen.marked(screen.current_match))
    scroll = screen.query_one("#object-scroll", Scroll)
    top = int(scroll.scroll_y)
    return row is not None and top <= row < top + scroll.scrollable_content_region.height


def test_highlight_helpers_mark_every_match_case_insensitively() -> None:
    marked, count = highlight_text(Text("Web web WEB other"), "web", 1)
    assert count == 3
    styles = [(span.start, str(span.style)) for span in marked.spans]
    assert styles == [(0, MATCH_STYLE), (4, CURRENT_MATCH_STYLE), (8, MATCH_STYLE)]
    same, none = highlight_text(Text("web"), "zzz")
    assert none == 0 and same.spans == []
    syntax = yaml_syntax("a: web\nb: Web\n", "WEB", 0)
    assert len(syntax._stylized_ranges) == 2


async def test_yaml_search_marks_scrolls_jumps_and_survives_changes(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(100, 24)) as pilot:
        await select_workload(app, pilot, objs)
        await pilot.press("y")
        await wait_for(pilot, lambda: loaded(app, YamlScreen), "the YAML read from the server")
        screen = app.screen
        assert isinstance(screen, YamlScreen)
        scroll = screen.query_one("#object-scroll", Scroll)
        search = screen.query_one("#object-search", Input)
        assert scroll.scroll_y == 0

        await pilot.press("slash")
        assert search.has_class("visible") and search.has_focus
        await pilot.press(*"var_3")
        await pilot.pause()
        assert screen.search == "var_3"
        assert screen.match_count == 10  # VAR_30 .. VAR_39
        assert "/var_3 match 1 of 10" in title_of(screen)
        await wait_for(pilot, lambda: scroll.scroll_y > 0, "scrolled to the first match")
        assert current_in_view(screen)

        await pilot.press("enter")  # the search is kept
        assert not search.has_class("visible") and scroll.has_focus
        await pilot.press("n")
        assert "match 2 of 10" in title_of(screen)
        await pilot.press("N", "N")  # wraps to the last
        assert "match 10 of 10" in title_of(screen)
        await pilot.pause()
        assert current_in_view(screen)

        # The object changes: the YAML is re-rendered with the search still applied.
        dep = sim.store.get("apps", "deployments", "default", "web")
        dep["spec"]["replicas"] = 4
        sim.store.update("apps", "deployments", dep)
        await wait_for(pilot, lambda: "replicas: 4" in screen.yaml_text, "the new spec")
        assert screen.search == "var_3" and "match 10 of 10" in title_of(screen)

        # esc drops the kept search (the screen stays), then a search without a match.
        await pilot.press("escape")
        assert isinstance(app.screen, YamlScreen)
        assert screen.search == "" and "match" not in title_of(screen)
        await pilot.press("slash", *"zzq")
        await pilot.pause()
        assert "/zzq no match" in title_of(screen)
        await pilot.press("escape")  # closes the input and clears the highlight
        assert not search.has_class("visible") and screen.search == ""
        assert "no match" not in title_of(screen)
        await pilot.press("escape")
        assert not isinstance(app.screen, ObjectScreen)


async def test_describe_search_marks_and_jumps(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(100, 24)) as pilot:
        await select_workload(app, pilot, objs)
        await pilot.press("d")
        await wait_for(pilot, lambda: loaded(app, DescribeScreen), "the object described")
        screen = app.screen
        assert isinstance(screen, DescribeScreen)
        # The describe names the ReplicaSet from the watch's cache: under load its list can
        # land after the screen opened, adding one more "web" to the text a second later.
        await wait_for(
            pilot,
            lambda: "NewReplicaSet:        web-abc12" in screen.describe_text.plain,
            "the ReplicaSet described",
        )
        await pilot.press("slash", *"WEB")
        await pilot.pause()
        count = len(screen.describe_text.plain.lower().split("web")) - 1
        assert count >= 2 and screen.match_count == count
        assert f"/WEB match 1 of {count}" in title_of(screen)
        await pilot.press("enter")
        await pilot.press("N")  # from the first: wraps to the last
        assert f"match {count} of {count}" in title_of(screen)
        await pilot.press("n")
        assert f"match 1 of {count}" in title_of(screen)
        # The describe text is re-rendered every second: the search stays.
        await pilot.pause(1.2)
        assert f"match 1 of {count}" in title_of(screen)
        await pilot.press("escape")
        assert screen.search == "" and isinstance(app.screen, DescribeScreen)


@pytest.mark.parametrize(("key", "screen_type"), [("y", YamlScreen), ("d", DescribeScreen)])
async def test_q_drops_a_kept_search_before_going_back(
    sim: SimServer, connect_to: Callable[..., Connection], key: str, screen_type: type
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(100, 24)) as pilot:
        await select_workload(app, pilot, objs)
        await pilot.press(key)
        await wait_for(pilot, lambda: isinstance(app.screen, screen_type), "the object screen")
        screen = app.screen
        assert isinstance(screen, ObjectScreen)
        await pilot.press("slash", *"web", "enter")
        assert screen.search == "web" and "/web match 1 of" in title_of(screen)
        # The first q drops the kept search; the screen stays.
        await pilot.press("q")
        assert app.screen is screen
        assert screen.search == "" and "match" not in title_of(screen)
        # While typing a search, q is a letter of it, not "back".
        await pilot.press("slash", "q")
        await pilot.pause()
        assert app.screen is screen and screen.search == "q"
        await pilot.press("enter")
        await pilot.press("q")
        assert app.screen is screen and screen.search == ""
        # Without a search, q goes back.
        await pilot.press("q")
        assert not isinstance(app.screen, ObjectScreen)


async def test_events_filter_as_you_type(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    sim.store.create("", "events", event("d1", objs["dep"], "Deployment", "ScalingUp"))
    sim.store.create("", "events", event("r1", objs["rs"], "ReplicaSet", "SuccessfulCreate"))
    sim.store.create("", "events", event("p1", objs["pod"], "Pod", "Pulled"))
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(160, 40)) as pilot:
        await select_workload(app, pilot, objs)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EventsScreen), "events screen")
        screen = app.screen
        table = screen.query_one("#events", EventTable)
        await wait_for(pilot, lambda: table.total_count == 3, "three events")
        field = screen.query_one("#events-filter", Input)

        await pilot.press("slash")
        assert field.has_class("visible") and field.has_focus
        await pilot.press(*"pull")
        await pilot.pause()
        assert table.filter_text == "pull" and table.row_count == 1
        assert "1 shown /pull" in str(table.border_title)
        await pilot.press("enter")  # kept
        assert not field.has_class("visible") and table.has_focus
        assert table.row_count == 1
        await pilot.press("escape")  # drops the kept filter
        assert table.filter_text == "" and table.row_count == 3
        assert "/pull" not in str(table.border_title)

        await pilot.press("slash", *"scal")
        await pilot.pause()
        assert table.row_count == 1
        await pilot.press("escape")  # while typing: closes the input and drops the filter
        assert not field.has_class("visible") and table.row_count == 3
        assert isinstance(app.screen, EventsScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, EventsScreen)


@pytest.mark.parametrize(("key", "screen_type"), [("y", YamlScreen), ("d", DescribeScreen)])
async def test_search_typed_at_once_with_slash_lands_in_the_box(
    sim: SimServer, connect_to: Callable[..., Connection], key: str, screen_type: type
) -> None:
    # tmux send-keys '/web' Enter n (or typing fast) queues the keys together: the letters go
    # into the search box, enter keeps the search and n jumps, none is lost or misplaced.
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(100, 24)) as pilot:
        await select_workload(app, pilot, objs)
        await pilot.press(key)
        await wait_for(pilot, lambda: loaded(app, screen_type), "the object read from the server")
        screen = app.screen
        assert isinstance(screen, ObjectScreen)
        search = screen.query_one("#object-search", Input)
        send_at_once(app, "slash", *"app", "enter", "n")
        await wait_for(pilot, lambda: "match 2 of" in title_of(screen), "the second match")
        assert screen.search == "app" and search.value == "app"
        assert not search.has_class("visible")
        assert screen.query_one("#object-scroll", Scroll).has_focus


async def test_events_filter_typed_at_once_with_slash_lands_in_the_box(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    sim.store.create("", "events", event("d1", objs["dep"], "Deployment", "ScalingUp"))
    sim.store.create("", "events", event("p1", objs["pod"], "Pod", "Pulled"))
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(160, 40)) as pilot:
        await select_workload(app, pilot, objs)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EventsScreen), "events screen")
        screen = app.screen
        table = screen.query_one("#events", EventTable)
        await wait_for(pilot, lambda: table.total_count == 2, "two events")
        field = screen.query_one("#events-filter", Input)
        send_at_once(app, "slash", *"pull", "enter", "j")
        await wait_for(pilot, lambda: table.filter_text == "pull", "the filter typed")
        await wait_for(pilot, lambda: not field.has_class("visible"), "the filter kept")
        assert table.row_count == 1 and table.has_focus
        assert field.value == "pull"  # the j after enter went to the table, not the box


def test_slash_and_enter_checked_before_the_screen_is_built_do_nothing() -> None:
    """`/` and enter are priority keys: one typed right after the key that opened a screen
    can be checked against it before its widgets exist. Then they do nothing (the check read
    the search box and raised NoMatches, which ended the app)."""
    screens = [YamlScreen("uid"), DescribeScreen("uid"), EventsScreen("uid"), LogsScreen("uid")]
    for screen in screens:
        for action in ("search", "filter", "keep_search", "keep_filter"):
            assert screen.check_action(action, ()) is False, (screen, action)
