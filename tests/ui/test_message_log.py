"""`:messages`: every toast of the run, kept after it went, newest first, the one under the
cursor whole below the table; a toast raised while it is shown lands on top."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from test_palette import hits, seed, started
from ui_support import wait_for

from ktui.cluster.connection import Connection
from ktui.config import Config
from ktui.render.message_log import MESSAGE_LOG_LIMIT
from ktui.settings import Settings
from ktui.sim.server import SimServer
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.screens.help import HelpScreen
from ktui.ui.screens.main import MainScreen
from ktui.ui.screens.message_log import MessageLogScreen
from ktui.ui.widgets.safe import SafeStatic


def shown(screen: MessageLogScreen) -> list[str]:
    """The MESSAGE cells, top row first."""
    return [str(screen.table.row(key)[2]) for key in screen.table.ordered_keys()]


def whole(screen: MessageLogScreen) -> str:
    return str(screen.query_one("#message-whole", SafeStatic).content)


def title(screen: MessageLogScreen) -> str:
    return str(screen.query_one("#message-log-title", SafeStatic).content)


async def run(pilot: Any, command: str) -> None:
    await pilot.press("colon", *command, "enter")
    await pilot.pause()


async def opened(app: KtuiApp, pilot: Any, command: str = "messages") -> MessageLogScreen:
    await run(pilot, command)
    await wait_for(pilot, lambda: isinstance(app.screen, MessageLogScreen), "the messages")
    screen = app.screen
    assert isinstance(screen, MessageLogScreen)
    return screen


async def test_messages_keeps_every_toast_after_it_went_newest_first(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(120, 30)) as pilot:
        await started(app, pilot, objs)
        await run(pilot, "bogus")
        await run(pilot, "ns")
        app.clear_notifications()  # the toasts went (as they do after 5-8 s)
        screen = await opened(app, pilot)
        assert shown(screen) == ["Usage: :ns NAME (or :ns all)", "Unknown command: bogus"]
        levels = [str(screen.table.row(key)[1]) for key in screen.table.ordered_keys()]
        assert levels == ["▲ warning", "✖ error"]
        assert "Messages  2 this run" in title(screen)
        # The row under the cursor, whole, below the table; it follows the cursor.
        assert whole(screen).endswith("▲ warning  Usage: :ns NAME (or :ns all)")
        await pilot.press("j")
        await wait_for(pilot, lambda: whole(screen).endswith("Unknown command: bogus"), "j")
        assert whole(screen).endswith("✖ error  Unknown command: bogus")
        # A toast raised while the screen is shown lands on top; the cursor stays on its row.
        app.notify("Rolled back web to revision 2")
        await wait_for(pilot, lambda: shown(screen)[0] == "Rolled back web to revision 2", "on top")
        assert whole(screen).endswith("Unknown command: bogus")
        assert "3 this run" in title(screen)
        await pilot.press("g")
        await wait_for(pilot, lambda: whole(screen).endswith("revision 2"), "g")
        assert whole(screen).endswith("● info  Rolled back web to revision 2")
        app.notify("Restarted api", title="rollout")
        await wait_for(
            pilot, lambda: whole(screen).endswith("● info  rollout: Restarted api"), "the newest"
        )
        # A message of several lines, with a control character: one line in the table, whole
        # below it, the ESC drawn as ^[ (never sent to the terminal).
        app.notify("undo failed:\nweb\x1b[31m is forbidden", severity="error")
        await wait_for(
            pilot, lambda: shown(screen)[0] == "undo failed: web\x1b[31m is forbidden", "it"
        )
        assert screen.table.render_line(1).text.count("undo failed: web^[[31m is forbidden") == 1
        assert whole(screen).endswith("✖ error  undo failed:\nweb^[[31m is forbidden")
        # Raised while the keys (`?`) cover the screen: there when they close.
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "the keys")
        app.notify("said under the keys")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, "the messages again")
        await wait_for(pilot, lambda: shown(screen)[0] == "said under the keys", "the new one")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), "back to main")
        # q goes back too; :msg is the short word.
        await opened(app, pilot, "msg")
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), "back again")


async def test_messages_before_any_says_so_and_keeps_only_the_newest(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(120, 30)) as pilot:
        await started(app, pilot, objs)
        screen = await opened(app, pilot)
        assert screen.table.total_count == 0 and "none yet" in title(screen)
        assert "Nothing said yet" in screen.table.empty_message
        await pilot.press("escape")
        assert app.message_log.maxlen == MESSAGE_LOG_LIMIT
        app.message_log = deque(maxlen=5)  # MESSAGE_LOG_LIMIT's behaviour, with fewer toasts
        for n in range(8):
            app.notify(f"message {n}")
        screen = await opened(app, pilot)
        assert shown(screen) == [f"message {n}" for n in (7, 6, 5, 4, 3)]
        assert "8 this run · the oldest 3 no longer kept" in title(screen)


async def test_messages_is_in_the_palette_and_in_the_keys(
    sim: SimServer, connect_to: Callable[..., Connection]
) -> None:
    objs = seed(sim)
    app = make_app(Settings(), connection=connect_to(), config=Config())
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot, objs)
        (await hits(app, "messages"))["messages: what ktui said"].command()
        await wait_for(pilot, lambda: isinstance(app.screen, MessageLogScreen), "the messages")
        await pilot.press("escape")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "the keys")
        assert ":messages :msg" in app.screen.shown_text()  # type: ignore[attr-defined]
