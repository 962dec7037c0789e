"""Toasts are about the screen they were raised on: they go when the user leaves it (and after
a few seconds anyway), and the rollout screen says the outcome of its actions in the screen
itself, where it stays until the next one, instead of a toast over its revision diff."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Static
from ui_support import deployment, replicaset, wait_for

from ktui.cluster.connection import Connection
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.live_table import LiveTable
from ktui.ui.screens.main import MainScreen
from ktui.ui.screens.rollout import RolloutScreen

NO_PREVIOUS = 'undo postgres: no rollout history found for deployment "postgres"'
"""kubectl's refusal to undo a Deployment that has a single revision."""


def toasts_shown(app: KtuiApp) -> list[str]:
    """The messages of the toasts the screen on top shows."""
    return [toast.render().plain for toast in app.screen.query("Toast")]


def seed_one_revision(sim: SimServer) -> str:
    """A Deployment with a single ReplicaSet: there is nothing to undo to."""
    spec = deployment("postgres", replicas=1, image="postgres:16")
    spec["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "1"}
    postgres = sim.store.create("apps", "deployments", spec)
    sim.store.create("apps", "replicasets", replicaset(postgres, "abc12", 1))
    return str(postgres["metadata"]["uid"])


async def select_postgres(app: KtuiApp, pilot: object, uid: str) -> MainScreen:
    main = app.screen
    assert isinstance(main, MainScreen)
    await wait_for(pilot, lambda: main.workloads.total_count == 1, "postgres listed")
    assert main.workloads.move_cursor_to_key(uid)
    children = main.query_one("#children", LiveTable)
    await wait_for(pilot, lambda: children.total_count == 1, "its ReplicaSet")
    return main


async def test_the_rollout_screen_says_why_undo_failed_in_the_screen_not_in_a_toast(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    uid = seed_one_revision(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        main = await select_postgres(app, pilot, uid)
        await pilot.press("h")
        screen = app.screen
        assert isinstance(screen, RolloutScreen)
        outcome = screen.query_one("#rollout-outcome", Static)
        assert not outcome.display
        await pilot.press("u")
        await wait_for(pilot, lambda: NO_PREVIOUS in str(outcome.content), "the refusal")
        assert outcome.display and str(outcome.content).endswith(f"✖ {NO_PREVIOUS}")
        await pilot.pause()
        assert not any(NO_PREVIOUS in toast for toast in toasts_shown(app))
        # Back on the main screen: nothing of the rollout screen's is left over the panes.
        await pilot.press("escape")
        assert app.screen is main
        await pilot.pause()
        assert toasts_shown(app) == []
        # An outcome that arrives once the user has left (a slow request) is not lost: it is a
        # toast on the screen they are on.
        screen.report_outcome(NO_PREVIOUS, "error")
        await wait_for(pilot, lambda: NO_PREVIOUS in toasts_shown(app), "the late outcome")


async def test_leaving_a_screen_takes_its_toasts_away_but_not_the_apps(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    uid = seed_one_revision(sim)
    app = make_app(Settings(), connection=connect_to())
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        main = await select_postgres(app, pilot, uid)
        app.notify_app("Config: a warning about the whole app", severity="warning")
        # u on the main screen: the refusal is a toast there (the main screen has no line
        # for it).
        await pilot.press("u")
        await wait_for(pilot, lambda: NO_PREVIOUS in toasts_shown(app), "the refusal's toast")
        # h leaves the main screen for the rollout screen: the main screen's toast does not
        # follow (it covered the revision diff), the app's does.
        await pilot.press("h")
        assert isinstance(app.screen, RolloutScreen)
        await pilot.pause()
        shown = toasts_shown(app)
        assert NO_PREVIOUS not in shown
        assert shown == ["Config: a warning about the whole app"]
        # A dialog over a screen does not leave it: its toast stays under the dialog.
        app.screen.notify("read-only: nothing to see", severity="warning")
        await wait_for(pilot, lambda: "read-only: nothing to see" in toasts_shown(app), "toast")
        await pilot.press("s")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ScaleScreen", "the dialog")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, RolloutScreen), "back")
        await pilot.pause()
        assert "read-only: nothing to see" in toasts_shown(app)
        await pilot.press("escape")
        assert app.screen is main
        await pilot.pause()
        assert toasts_shown(app) == ["Config: a warning about the whole app"]
