"""The app drives its GC pacer: its timer ticks it, keys and closed screens are reported."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable

from ui_support import wait_for

from ktui.cluster.connection import Connection
from ktui.config import Config
from ktui.gc_pacer import GcPacer
from ktui.settings import Settings
from ktui.ui.app import make_app
from ktui.ui.screens.help import HelpScreen
from ktui.ui.screens.pod_detail import PodDetailScreen


class RecordingPacer(GcPacer):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.keys = 0
        self.closed = 0

    def key_pressed(self) -> None:
        self.keys += 1
        super().key_pressed()

    def screen_closed(self) -> None:
        self.closed += 1
        super().screen_closed()


async def test_the_app_ticks_its_pacer_and_reports_keys_and_closed_screens(
    connect_to: Callable[..., Connection],
) -> None:
    pacer = RecordingPacer(interval=0.05)
    app = make_app(Settings(), connection=connect_to(), config=Config(), gc_pacer=pacer)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_for(pilot, lambda: pacer.freezes >= 2, "the pacer's timer")
            assert gc.get_freeze_count() > 0
            keys = pacer.keys
            await pilot.press("question_mark")
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
            # (A key reaches the app on its way down and again as it bubbles up: both count
            # as the same moment.)
            assert pacer.keys > keys and pacer.closed == 0
            keys = pacer.keys
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen), "help closed")
            assert pacer.keys > keys and pacer.closed == 1
        assert gc.get_freeze_count() == 0, "the app gives the frozen objects back on exit"
    finally:
        gc.unfreeze()
        app.connection.close()


async def test_closing_the_kept_pod_screen_is_not_a_closed_screen_for_the_pacer(
    connect_to: Callable[..., Connection],
) -> None:
    """The pod screen is kept and retargeted (`KtuiApp.open_screen`): closing it frees
    nothing, so it does not bring the next full collection closer."""
    pacer = RecordingPacer(interval=60.0)
    app = make_app(Settings(), connection=connect_to(), config=Config(), gc_pacer=pacer)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            main = app.screen
            for _ in range(2):
                app.open_screen("detail", "some-pod-uid")
                await wait_for(pilot, lambda: isinstance(app.screen, PodDetailScreen), "pod")
                await pilot.press("escape")
                await wait_for(pilot, lambda: app.screen is main, "back on main")
            assert pacer.closed == 0
            await pilot.press("question_mark")
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is main, "help closed")
            assert pacer.closed == 1
    finally:
        gc.unfreeze()
        app.connection.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_namespace_switch_makes_a_full_collection_due_at_the_next_idle_moment(
    connect_to: Callable[..., Connection],
) -> None:
    clock = Clock()
    # Ticked by hand: the timer's interval is longer than the test.
    pacer = GcPacer(interval=3600, clock=clock)
    app = make_app(Settings(), connection=connect_to(), config=Config(), gc_pacer=pacer)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_for(pilot, lambda: app.model.objects.states, "the first states")
            old_model = weakref.ref(app.model)
            pacer.tick()  # the old scope's model is frozen while alive
            clock.now += 10
            pacer.tick()
            assert pacer.cleans == 0
            await pilot.press("colon", *"ns other", "enter")  # keys, at the clock's now
            await wait_for(pilot, lambda: app.connection.namespace == "other", "the switch")
            assert app.model is not old_model()
            clock.now += 1
            pacer.tick()
            assert pacer.cleans == 0, "a key came less than 2 s ago"
            clock.now += 2
            pacer.tick()
            assert pacer.cleans == 1, "due at once after the switch, at the first idle tick"
            assert old_model() is None, "the old scope's model is gone"
    finally:
        gc.unfreeze()
        app.connection.close()
