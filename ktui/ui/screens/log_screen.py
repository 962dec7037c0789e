"""What the two log screens share: one pod's logs (`logs.LogsScreen`) and the merged logs of a
workload's current revision (`revision_logs.RevisionLogsScreen`).

The layout (a status line, an error line, the `LogView`, a search input docked at the bottom),
`/` search with `n`/`N` to jump between matches (highlighted in the view), `ctrl+s` to save the
lines shown, as shown, to a new file in the state directory's `logs`, and the autoscroll /
timestamps / wrap toggles. Each screen names its own bindings (`search_save_bindings`), so a
keymap entry can change a key on one screen only, and says what its saved file is called
(`save_name_parts`) and what its status line shows (`update_status`).
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input

from ktui.paths import ensure_dir, saved_logs_dir
from ktui.ui.screens.base import InspectorScreen
from ktui.ui.widgets.footer import KtuiFooter
from ktui.ui.widgets.input import KtuiInput
from ktui.ui.widgets.log_view import LogView
from ktui.ui.widgets.safe import SafeStatic
from ktui.view.logs import line_count


def search_save_bindings(screen: str) -> list[Binding]:
    """`ctrl+s`, `/`, `n`, `N`, with binding ids `<screen>.<action>` (the toggles' keys are
    listed by each screen, in the order its footer shows them)."""
    return [
        Binding("ctrl+s", "save", "Save", id=f"{screen}.save"),
        # `/` and enter in the search box with priority: the focus moves as the key arrives,
        # before the keys typed after it in the same burst (`/GET` enter `n`) are routed.
        Binding("slash", "search", "Search", id=f"{screen}.search", priority=True),
        Binding("enter", "keep_search", "Keep search", show=False, priority=True),
        Binding("n", "jump(1)", "Next match", id=f"{screen}.next_match"),
        Binding("N", "jump(-1)", "Prev match", id=f"{screen}.previous_match"),
    ]


class LogScreen(InspectorScreen):
    """A screen around one `LogView` (see the module doc); subclasses stream the lines."""

    DEFAULT_CSS = """
    LogScreen #logs-status { height: 1; padding: 0 1; background: $panel; }
    LogScreen #logs-error {
        display: none; height: auto; padding: 0 1; color: $text; background: $error 35%;
    }
    LogScreen.failed #logs-error { display: block; }
    LogScreen LogView { border: round $ktui-border-focus; }
    LogScreen #logs-search {
        display: none; dock: bottom; margin-bottom: 1; border: tall $ktui-border-focus;
    }
    LogScreen #logs-search.visible { display: block; }
    """
    SAVE_WHAT: ClassVar[str] = "log"
    """What the save toasts call the lines ("Could not save the log: ...")."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: dict[str, str] = {}
        """Why a log cannot be read, per stream ("" for the screen); shown in the error line."""

    def compose(self) -> ComposeResult:
        yield SafeStatic(id="logs-status")
        yield SafeStatic(id="logs-error")
        yield LogView(id="log")
        yield KtuiInput(placeholder="search…", id="logs-search")
        yield KtuiFooter()

    @property
    def view(self) -> LogView:
        return self.query_one("#log", LogView)

    @property
    def error_text(self) -> str:
        return "  ".join(self.errors.values())

    def update_status(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def save_name_parts(self) -> list[str]:  # pragma: no cover - overridden
        """What the saved file's name says before its time (namespace, object, container)."""
        raise NotImplementedError

    def search_status(self, status: Text) -> None:
        """The search and where the last jump went (`/GET 1/2`), appended to a status line."""
        view = self.view
        if view.search:
            position = (view.current_match or 0) + 1 if view.current_match is not None else 0
            status.append(f"  /{view.search} {position}/{len(view.matches)}", style="yellow")

    def show_status(self, status: Text, errors: list[str]) -> None:
        """Finish and show the status line (autoscroll, line count, search) and the error line
        (one `✖ message` per stream that failed); the screens build what precedes them."""
        view = self.view
        status.append(
            "  autoscroll on" if view.autoscroll else "  ⏸ autoscroll off",
            style="green" if view.autoscroll else "yellow",
        )
        status.append(f"  {line_count(len(view.lines))}", style="grey62")
        self.search_status(status)
        self.query_one("#logs-status", SafeStatic).update(self.mark_read_only(status))
        error_line = Text(no_wrap=True, overflow="ellipsis")
        for message in errors:
            if len(error_line):
                error_line.append("  ")
            error_line.append(f"✖ {message}")
        self.query_one("#logs-error", SafeStatic).update(error_line)
        self.set_class(bool(errors), "failed")

    # ------------------------------------------------------------------ toggles

    def action_toggle_autoscroll(self) -> None:
        view = self.view
        view.autoscroll = not view.autoscroll
        if view.autoscroll:
            view.scroll_end(animate=False, x_axis=False)
        self.update_status()

    def action_toggle_timestamps(self) -> None:
        self.view.set_display(timestamps=not self.view.show_timestamps)

    def action_toggle_wrap(self) -> None:
        self.view.set_display(wrap=not self.view.wrap)
        self.update_status()

    # ------------------------------------------------------------------ search

    def action_search(self) -> None:
        search = self.query_one("#logs-search", Input)
        search.value = self.view.search
        search.add_class("visible")
        # Focus now, not after the queued keys (`focus()` defers it): the keys typed in the
        # same burst as `/` (fast typing, tmux send-keys, a paste) belong in the box.
        self.set_focus(search)

    @on(Input.Changed, "#logs-search")
    def _search_changed(self, message: Input.Changed) -> None:
        # Once enter kept the search (the box hidden), changes still on their way are stale.
        if not message.input.has_class("visible"):
            return
        self.view.set_search(message.value)
        self.update_status()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "keep_search":
            return self.is_mounted and self.focused is self.query_one("#logs-search")
        return super().check_action(action, parameters)

    async def action_keep_search(self) -> None:
        """Enter while typing a search: keep it (the input may still hold keys typed before
        enter; the search is their text), jump to the first match, keys back to the log."""
        search = self.query_one("#logs-search", KtuiInput)
        search.remove_class("visible")
        self.set_focus(self.view)
        await search.caught_up()
        self.view.set_search(search.value)
        if search.value and not self.view.jump(1):
            self.notify(f"No match for {search.value!r}", severity="warning")
        self.update_status()

    def action_jump(self, step: int) -> None:
        if not self.view.search:
            self.action_search()
            return
        if not self.view.jump(step):
            self.notify(f"No match for {self.view.search!r}", severity="warning")
        self.update_status()

    def close_search(self) -> bool:
        """Drop the search, whether being typed or kept (enter), as the YAML, describe and
        events screens do: esc (or q) first drops it and the screen stays; whether it did."""
        search = self.query_one("#logs-search", Input)
        if not (search.has_class("visible") or self.view.search):
            return False
        search.remove_class("visible")
        search.value = ""
        self.view.set_search("")
        self.view.focus()
        self.update_status()
        return True

    def action_close(self) -> None:
        if not self.close_search():
            super().action_close()

    # ------------------------------------------------------------------ save

    def action_save(self) -> None:
        """Write the lines shown (as shown: prefixes, timestamps, escapes made visible) to a new
        file in the state directory; the toast names it, or says in one line why not."""
        view = self.view
        try:
            path = self._save_path()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                for index in range(len(view.lines)):
                    file.write(view.line_text(index).plain + "\n")
        except OSError as exc:
            reason = exc.strerror or str(exc)
            where = f": {exc.filename}" if exc.filename else ""
            self.notify(f"Could not save the {self.SAVE_WHAT}: {reason}{where}", severity="error")
            return
        self.notify(f"Saved {line_count(len(view.lines))} to {path}", title="Log saved")

    def _save_path(self) -> Path:
        """A new file `<parts>_<time>.log` in the saved logs directory (`-2`, `-3`... when a
        file of that name exists: never overwritten)."""
        stem = "_".join(file_part(part) for part in self.save_name_parts())
        stem += "_" + datetime.now().strftime("%Y%m%d-%H%M%S")
        directory = ensure_dir(saved_logs_dir())
        path = directory / f"{stem}.log"
        number = 1
        while path.exists():
            number += 1
            path = directory / f"{stem}-{number}.log"
        return path


def file_part(text: str) -> str:
    """`text` fit for a file name: anything but letters, digits, `.`, `-` becomes `_`."""
    return re.sub(r"[^A-Za-z0-9.-]", "_", text).strip(".") or "-"


__all__ = ["LogScreen", "file_part", "search_save_bindings"]
