"""`:messages`: every toast of this run, newest first, with the whole text of the one under the
cursor. Toasts go after a few seconds (errors after 8); this is where they can be read again."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType

from ktui.render.message_log import (
    MESSAGE_COLUMNS,
    LoggedMessage,
    message_cells,
    message_log_title,
    message_text,
)
from ktui.ui.live_table import LiveTable, Row
from ktui.ui.screens.base import InspectorScreen
from ktui.ui.widgets.footer import KtuiFooter
from ktui.ui.widgets.safe import SafeStatic


class MessageLogScreen(InspectorScreen):
    BINDINGS: ClassVar[list[BindingType]] = []
    DEFAULT_CSS = """
    MessageLogScreen #message-log-title { height: 1; padding: 0 1; background: $panel; }
    MessageLogScreen LiveTable { border: round $accent; padding: 0 1; }
    MessageLogScreen #message-whole { height: auto; max-height: 6; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._shown: dict[str, LoggedMessage] = {}

    def compose(self) -> ComposeResult:
        yield SafeStatic(id="message-log-title")
        yield LiveTable(
            MESSAGE_COLUMNS,
            id="message-log",
            sort_key=self._newest_first,
            empty_message="Nothing said yet: errors, warnings and what actions did land here.",
        )
        # A message is often longer than its column: the one under the cursor, whole.
        yield SafeStatic(id="message-whole")
        yield KtuiFooter()

    @property
    def table(self) -> LiveTable:
        return self.query_one("#message-log", LiveTable)

    def _newest_first(self, key: str, row: Row) -> int:
        return -int(key)

    def on_mount(self) -> None:
        self.table.clock = self.ktui.clock
        self.table.border_title = "newest first"
        self.table.focus()
        self.table.replace_all({str(m.serial): message_cells(m) for m in self.ktui.message_log})
        self._shown = {str(m.serial): m for m in self.ktui.message_log}
        self._update_title()
        self._show_whole()
        self.set_interval(1.0, self.table.tick)

    def add(self, logged: LoggedMessage) -> None:
        """A toast raised while this screen is shown: on top, the cursor staying where it is
        (on the newest when it was there)."""
        key = str(logged.serial)
        at_newest = self.table.cursor_key in (None, self._newest_key())
        kept = {str(m.serial) for m in self.ktui.message_log}
        self._shown = {k: m for k, m in self._shown.items() if k in kept}
        self._shown[key] = logged
        self.table.replace_all({k: message_cells(m) for k, m in self._shown.items()})
        if at_newest:
            self.table.move_cursor_to_key(key)
        self._update_title()
        self._show_whole()

    def _newest_key(self) -> str | None:
        return str(max(m.serial for m in self._shown.values())) if self._shown else None

    def _update_title(self) -> None:
        log = self.ktui.message_log
        newest = log[-1].serial if log else 0
        self.query_one("#message-log-title", SafeStatic).update(
            message_log_title(newest, newest - len(log))
        )

    @on(LiveTable.Highlighted)
    def _highlighted(self, message: LiveTable.Highlighted) -> None:
        self._show_whole()

    def _show_whole(self) -> None:
        key = self.table.cursor_key
        logged = self._shown.get(key) if key is not None else None
        self.query_one("#message-whole", SafeStatic).update(
            message_text(logged) if logged is not None else ""
        )
