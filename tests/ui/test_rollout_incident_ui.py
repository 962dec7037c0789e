"""Rollbacks mid-incident, against the embedded API server: enter undoes to the selected
revision, DEPLOYED ages tick, --readonly says why a key does nothing, drill-down lands on the
current ReplicaSet, ctrl+l rolls back to a ReplicaSet, and a stuck rollout says why."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from test_rollout_ui import image_of, seed_two_revisions
from textual.widgets import Static
from ui_support import deployment, pod, replicaset, wait_for

from ktui.cluster.connection import Connection
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.sim.store import Store
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.live_table import LiveTable
from ktui.ui.screens.rollout import ConfirmScreen, RolloutScreen

Obj = dict[str, Any]
STORE_OFFSET = [-120.0]
"""Seconds the embedded server's clock is ahead of the real one (objects are seeded in the
past, before ktui starts; a test moves it to create objects "later")."""


@pytest.fixture
def sim() -> Iterator[SimServer]:
    STORE_OFFSET[0] = -120.0
    with SimServer(port=0, store=Store(clock=lambda: time.time() + STORE_OFFSET[0])) as server:
        yield server


def rs_uid(sim: SimServer, name: str) -> str:
    return str(sim.store.get("apps", "replicasets", "default", name)["metadata"]["uid"])


def messages(app: KtuiApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def rendered(app: KtuiApp, widget: Static) -> str:
    options = app.console.options.update(width=150)
    return "".join(seg.text for seg in app.console.render(widget.content, options))


def row_text(table: LiveTable, key: str) -> str:
    y = table.ordered_keys().index(key) + 1
    return "".join(segment.text for segment in table.render_line(y))


async def open_web(pilot: Any, app: KtuiApp, web: Obj) -> LiveTable:
    workloads = app.screen.query_one("#workloads", LiveTable)
    await wait_for(pilot, lambda: workloads.total_count == 1, "web listed")
    workloads.move_cursor_to_key(web["metadata"]["uid"])
    await pilot.pause()
    return workloads


async def test_enter_in_history_undoes_to_the_selected_revision(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    web = seed_two_revisions(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        await open_web(pilot, app, web)
        await pilot.press("h")
        assert isinstance(app.screen, RolloutScreen)
        history = app.screen.query_one("#history", LiveTable)
        await wait_for(pilot, lambda: history.total_count == 2, "two revisions")
        assert "enter: undo to selected" in str(history.border_title)
        history.move_cursor_to_key("1")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "confirmation")
        assert "revision 1" in str(app.screen.title_text)
        assert "nginx:1.26" in str(app.screen.query_one("#confirm-body").render())
        await pilot.press("y")
        await wait_for(pilot, lambda: image_of(sim) == "nginx:1.26", "rolled back to revision 1")


async def test_deployed_ages_tick_and_say_which_are_only_creation_times(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    web = seed_two_revisions(sim)
    now = [datetime.now(UTC)]
    app = make_app(Settings(), connection=connect_to(), clock=lambda: now[0])
    async with app.run_test(size=(160, 50)) as pilot:
        await open_web(pilot, app, web)
        await pilot.press("h")
        history = app.screen.query_one("#history", LiveTable)
        await wait_for(pilot, lambda: history.total_count == 2, "two revisions")
        assert [c.label for c in history.columns][-1] == "DEPLOYED"
        # Both ReplicaSets existed before ktui started: only their creation time is known.
        assert row_text(history, "1").rstrip().endswith("*")
        assert "created" in str(history.border_subtitle)
        # A revision created after the screen opened (a minute later): its age ticks, never
        # stuck at <invalid> (the time the table was opened).
        STORE_OFFSET[0] = 60.0
        newer = replicaset(web, "new333", 3)
        sim.store.create("apps", "replicasets", newer)
        await wait_for(pilot, lambda: history.total_count == 3, "the third revision")
        # Four minutes on, it is about three minutes old (less the seconds this test took).
        now[0] = now[0] + timedelta(minutes=4)
        await wait_for(
            pilot,
            lambda: re.search(r" [23]m(\d+s)?$", row_text(history, "3").rstrip()),
            "its age ticked to about 3m",
        )
        assert "<invalid>" not in row_text(history, "3")
        assert not row_text(history, "3").rstrip().endswith("*")
        # A rollback re-uses a ReplicaSet: its revision changes, and that is when it deployed.
        sim.store.patch(
            "apps",
            "replicasets",
            "default",
            "web-old111",
            "merge",
            {"metadata": {"annotations": {"deployment.kubernetes.io/revision": "4"}}},
        )
        await wait_for(pilot, lambda: "4" in history.ordered_keys(), "revision 4")
        await wait_for(
            pilot, lambda: row_text(history, "4").rstrip().endswith(" 0s"), "deployed just now"
        )


async def test_readonly_rollout_screen_says_so_and_refuses_each_key_in_one_line(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    web = seed_two_revisions(sim)
    app = make_app(Settings(readonly=True), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        await open_web(pilot, app, web)
        await pilot.press("h")
        screen = app.screen
        assert isinstance(screen, RolloutScreen)
        history = screen.query_one("#history", LiveTable)
        await wait_for(pilot, lambda: history.total_count == 2, "two revisions")
        assert "undo" not in str(history.border_title)
        assert "READ-ONLY" in str(history.border_title)
        assert "READ-ONLY" in str(screen.query_one("#rollout-status", Static).border_subtitle)
        # The tree's legend names the previous revision without offering an undo.
        await wait_for(pilot, lambda: screen.rollout_tree is not None, "the tree")
        legend = str(screen.query_one("#rollout-tree").border_subtitle)
        assert "◀ previous" in legend and "undo" not in legend
        shown = {b.action for _, b, enabled, _ in screen.active_bindings.values() if b.show}
        assert not shown & {"rollout_undo", "undo_selected", "rollout_restart", "rollout_scale"}
        for key, what in (
            ("u", "undo"),
            ("enter", "undo"),
            ("r", "restart"),
            ("s", "scale"),
            ("P", "pause/resume"),
        ):
            before = len(messages(app))
            await pilot.press(key)
            await wait_for(pilot, lambda n=before: len(messages(app)) > n, f"a message for {key}")
            assert messages(app)[-1] == f"read-only: {what} is disabled"
            assert app.screen is screen
        assert image_of(sim) == "nginx:1.27"


async def test_readonly_main_screen_keys_say_so(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    web = seed_two_revisions(sim)
    app = make_app(Settings(readonly=True), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        await open_web(pilot, app, web)
        for key, what in (("u", "undo"), ("r", "restart"), ("s", "scale"), ("P", "pause/resume")):
            before = len(messages(app))
            await pilot.press(key)
            await wait_for(pilot, lambda n=before: len(messages(app)) > n, f"a message for {key}")
            assert messages(app)[-1] == f"read-only: {what} is disabled"
        await pilot.press("enter")  # into the ReplicaSets pane
        before = len(messages(app))
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: len(messages(app)) > before, "a message for ctrl+l")
        assert messages(app)[-1] == "read-only: undo is disabled"
        assert not isinstance(app.screen, ConfirmScreen)


async def test_drill_down_lands_on_the_current_replicaset_and_ctrl_l_rolls_back_to_one(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    web = seed_two_revisions(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        await open_web(pilot, app, web)
        main = app.screen
        children = main.query_one("#children", LiveTable)
        await wait_for(pilot, lambda: children.total_count == 2, "two ReplicaSets")
        # ctrl+l wants a ReplicaSet row: from the workloads pane it says so.
        await pilot.press("ctrl+l")
        assert "Select a ReplicaSet" in messages(app)[-1]
        await pilot.press("enter")
        assert main.focused is children
        assert children.cursor_key == rs_uid(sim, "web-new222")
        children.move_cursor_to_key(rs_uid(sim, "web-old111"))
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "confirmation")
        assert "back to revision 1" in str(app.screen.title_text)
        await pilot.press("y")
        await wait_for(pilot, lambda: image_of(sim) == "nginx:1.26", "rolled back to revision 1")


def seed_stuck(sim: SimServer) -> Obj:
    """A Deployment rolled to an image that does not exist: the new ReplicaSet's pod waits in
    ImagePullBackOff while the old one still serves."""
    web = seed_two_revisions(sim)
    store = sim.store
    status = {
        "observedGeneration": web["metadata"]["generation"],
        "replicas": 3,
        "updatedReplicas": 1,
        "readyReplicas": 2,
        "availableReplicas": 2,
        "conditions": [
            {
                "type": "Progressing",
                "status": "True",
                "reason": "ReplicaSetUpdated",
                "message": 'ReplicaSet "web-new222" is progressing.',
                "lastUpdateTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "lastTransitionTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        ],
    }
    store.update("apps", "deployments", {**web, "status": status}, subresource="status")
    new_rs = store.get("apps", "replicasets", "default", "web-new222")
    stuck = store.create("", "pods", pod(new_rs, "x1y2z"))
    stuck["status"] = {
        "phase": "Pending",
        "containerStatuses": [
            {
                "name": "app",
                "image": "nginx:1.27",
                "ready": False,
                "restartCount": 0,
                "started": False,
                "state": {
                    "waiting": {
                        "reason": "ImagePullBackOff",
                        "message": 'Back-off pulling image "nginx:1.27"',
                    }
                },
            }
        ],
    }
    store.update("", "pods", stuck, subresource="status")
    return web


async def test_a_stuck_rollout_says_why_and_offers_the_undo_key(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    web = seed_stuck(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50)) as pilot:
        workloads = await open_web(pilot, app, web)
        uid = web["metadata"]["uid"]

        def health_cell() -> str:
            row = workloads.row(uid)
            return "" if row is None else str(row[5])

        await wait_for(pilot, lambda: health_cell() == "✖ stuck: ImagePullBackOff", "stuck")
        await pilot.press("h")
        problem = app.screen.query_one("#rollout-problem", Static)
        await wait_for(pilot, lambda: "ImagePullBackOff" in rendered(app, problem), "the reason")
        text = rendered(app, problem)
        assert "Rollout stuck: the new pod (web-new222-x1y2z) is in ImagePullBackOff" in text
        assert "Progress deadline in 9m" in text or "Progress deadline in 10m" in text
        assert "Press u to roll back to the previous revision" in text
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "confirmation")
        assert "revision 1" in str(app.screen.title_text)


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
async def test_history_keeps_the_whole_change_cause_before_images_and_names(
    sim: SimServer, connect_to: Callable[..., Connection], size: tuple[int, int]
) -> None:
    """The change-cause is what a person wrote about the revision: a narrow pane gives up the
    ReplicaSet's generated name and the long image first."""
    store = sim.store
    image = "registry.example.com/platform/nginx-hardened:1.27.3-alpine"
    cause = "bump nginx to 1.27.3 (CVE-2025-1234)"
    spec = deployment("web", replicas=1, image=image)
    spec["metadata"]["annotations"] = {
        "deployment.kubernetes.io/revision": "1",
        "kubernetes.io/change-cause": cause,
    }
    web = store.create("apps", "deployments", spec)
    rs = replicaset(web, "5d8f7c9b6a", 1)
    rs["metadata"]["annotations"]["kubernetes.io/change-cause"] = cause
    store.create("apps", "replicasets", rs)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=size) as pilot:
        await open_web(pilot, app, web)
        await pilot.press("h")
        assert isinstance(app.screen, RolloutScreen)
        history = app.screen.query_one("#history", LiveTable)
        await wait_for(pilot, lambda: history.total_count == 1, "the revision")
        line = row_text(history, "1")
        assert line.rstrip().endswith("*"), line  # DEPLOYED is on screen
        if size == (200, 50):
            assert cause in line and image[:25] in line, line
        else:  # a pane of 38 columns: the cause is what is left beside DEPLOYED
            assert "bump nginx to 1." in line and "registry" not in line, line
