"""Keys typed in one go act on the row under the cursor when each key comes, and a filter
puts the cursor on its first match (k9s)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import events
from textual.pilot import Pilot
from ui_support import deployment, pod, replicaset, running_status, wait_for

from ktui.cluster.connection import Connection
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.ui.app import make_app
from ktui.ui.live_table import LiveTable
from ktui.ui.screens.logs import LogsScreen
from ktui.ui.screens.pod_detail import PodDetailScreen
from ktui.ui.screens.rollout import RolloutScreen


async def press_at_once(pilot: Pilot[Any], *keys: str) -> None:
    """Send `keys` as a terminal does for keys typed in the same instant (`tmux send-keys g
    h`): every key event is queued before the first is handled. `pilot.press` waits for the
    app to go idle after each key, which lets the messages a key posts run before the next."""
    driver = pilot.app._driver
    assert driver is not None
    for key in keys:
        event = events.Key(key, key if len(key) == 1 else None)
        event.set_sender(pilot.app)
        driver.send_message(event)
    await pilot.pause()


def seed(sim: SimServer) -> dict[str, Any]:
    """Deployments api and web (api sorts first), each with one ReplicaSet and one pod."""
    store = sim.store
    made: dict[str, Any] = {}
    for name in ("web", "api"):
        dep = store.create("apps", "deployments", deployment(name, replicas=1))
        rs = store.create("apps", "replicasets", replicaset(dep, f"{name}1x", 1))
        made_pod = store.create("", "pods", pod(rs, "aaaaa"))
        store.update("", "pods", {**made_pod, "status": running_status()}, subresource="status")
        made[name] = dep["metadata"]["uid"]
        made[f"{name}-rs"] = rs["metadata"]["uid"]
        made[f"{name}-pod"] = made_pod["metadata"]["uid"]
    return made


async def test_g_then_h_in_one_go_opens_the_history_of_the_first_row(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    uids = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        pods = app.screen.query_one("#pods", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 2, "two deployments")
        await pilot.press("j")
        await wait_for(pilot, lambda: pods.cursor_key == uids["web-pod"], "web's pod below")
        await press_at_once(pilot, "g", "h")
        assert isinstance(app.screen, RolloutScreen)
        assert app.screen.uid == uids["api"]


async def test_j_then_l_in_one_go_opens_the_logs_of_the_next_rows_pod(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    uids = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        pods = app.screen.query_one("#pods", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 2, "two deployments")
        await wait_for(pilot, lambda: pods.cursor_key == uids["api-pod"], "api's pod below")
        await press_at_once(pilot, "j", "l")
        assert isinstance(app.screen, LogsScreen)
        assert app.screen.pod_uid == uids["web-pod"]


async def test_j_then_enter_in_one_go_drills_into_the_next_row(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    uids = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        children = app.screen.query_one("#children", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 2, "two deployments")
        await wait_for(pilot, lambda: children.cursor_key == uids["api-rs"], "api's ReplicaSet")
        await press_at_once(pilot, "j", "enter")
        assert app.screen.focused is children
        assert children.ordered_keys() == [uids["web-rs"]]
        assert children.cursor_key == uids["web-rs"]


def seed_pods(sim: SimServer) -> dict[str, str]:
    """Pods of three Deployments: api (2), node-exporter (2), web (1); name -> uid."""
    store = sim.store
    made: dict[str, str] = {}
    for name, suffixes in (("api", "ab"), ("node-exporter", "cd"), ("web", "e")):
        dep = store.create("apps", "deployments", deployment(name, replicas=len(suffixes)))
        rs = store.create("apps", "replicasets", replicaset(dep, "h1", 1))
        for suffix in suffixes:
            made_pod = store.create("", "pods", pod(rs, suffix * 5))
            status = {**made_pod, "status": running_status()}
            store.update("", "pods", status, subresource="status")
            made[made_pod["metadata"]["name"]] = made_pod["metadata"]["uid"]
    return made


async def test_a_filter_puts_the_cursor_on_its_first_match(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    uids = seed_pods(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        main = app.screen
        workloads = main.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 3, "three deployments")
        await pilot.press(":", *"pods", "enter")
        await wait_for(pilot, lambda: workloads.total_count == 5, "five pods")
        await pilot.press("G")
        assert workloads.cursor_key == uids["web-h1-eeeee"]
        await pilot.press("slash", *"node-exp", "enter")
        first, second = uids["node-exporter-h1-ccccc"], uids["node-exporter-h1-ddddd"]
        assert workloads.ordered_keys() == [first, second]
        assert workloads.cursor_key == first
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PodDetailScreen), "the pod screen")
        assert app.screen.pod_uid == first
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main, "back on the main screen")
        # A new filter starts at its first match again, wherever the cursor was.
        await pilot.press("j")
        assert workloads.cursor_key == second
        await pilot.press("slash", "backspace", "backspace", "backspace", "backspace")
        await pilot.press("backspace", "backspace", "backspace", "backspace", *"api-", "enter")
        assert workloads.cursor_key == uids["api-h1-aaaaa"]
        await pilot.press("l")
        assert isinstance(app.screen, LogsScreen)
        assert app.screen.pod_uid == uids["api-h1-aaaaa"]


async def test_a_filter_in_the_workloads_view_selects_its_first_match_below(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    uids = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        pods = app.screen.query_one("#pods", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 2, "two deployments")
        await pilot.press("G")
        assert workloads.cursor_key == uids["web"]
        # "e" is in both names (web, and api's image nginx): the first match is api.
        await pilot.press("slash", "e", "enter")
        assert workloads.row_count == 2
        assert workloads.cursor_key == uids["api"]
        assert pods.cursor_key == uids["api-pod"]
        await pilot.press("h")
        assert isinstance(app.screen, RolloutScreen)
        assert app.screen.uid == uids["api"]


async def test_slash_again_on_a_filtered_pane_keeps_the_cursor(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    """`/` on a pane that has a filter shows its text (the input held another pane's):
    enter keeps the cursor where `j` put it, for the same text is no new filter."""
    uids = seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 2, "two deployments")
        await pilot.press("slash", "e", "enter")
        assert workloads.cursor_key == uids["api"]
        await pilot.press("j")
        assert workloads.cursor_key == uids["web"]
        # A filter typed on the next pane and dropped leaves its text in the shared input.
        await pilot.press("tab", "slash", "z", "escape", "shift+tab")
        assert workloads.has_focus
        await pilot.press("slash", "enter")
        assert workloads.filter_text == "e" and workloads.cursor_key == uids["web"]


async def test_a_filter_that_matches_nothing_says_so_and_esc_clears_it(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    seed(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        await wait_for(pilot, lambda: workloads.total_count == 2, "two deployments")
        await pilot.press("slash", *"zzz", "enter")
        assert workloads.row_count == 0
        # The pane's third line (below its header and a blank line) says why it is empty.
        said = workloads.render_line(2).text.strip()
        assert said == "Nothing matches /zzz (esc clears the filter)."
        await pilot.press("escape")
        assert workloads.row_count == 2
        assert workloads.filter_text == ""
