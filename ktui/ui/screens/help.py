"""`?`: every binding of the screen below, with the key currently bound (after remapping), the
`:` commands (their kind words from the kind registry) and a legend of the container glyphs
(built from `ktui.render.cells`' tables, so the legend is what the tables draw)."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from ktui.render.cells import BADGE_SEPARATOR, BADGE_SHAPE, BADGE_STYLE, badge_glyph
from ktui.ui.commands import command_help
from ktui.ui.widgets.scroll import Scroll
from ktui.view.pod import BadgeState

GROUP_WORDS: dict[str, str] = {
    "init": "init container (runs to completion before the others start)",
    "sidecar": "sidecar (an init container that keeps running beside the app)",
    "main": "app container",
}
"""What each badge shape stands for, by container group (`BADGE_SHAPE`'s keys)."""

STATE_WORDS: dict[BadgeState, str] = {
    BadgeState.READY: "running and ready",
    BadgeState.RUNNING: "running, not ready (an init container while it runs)",
    BadgeState.WAITING: "waiting to start (being created, or no status yet)",
    BadgeState.ERROR: "cannot start: image pull or configuration error",
    BadgeState.CRASHLOOP: "crash loop: keeps exiting, restarted after a back-off",
    BadgeState.TERMINATING: "stopping: its pod is being deleted",
    BadgeState.SUCCEEDED: "done: exited with code 0",
    BadgeState.FAILED: "failed: exited with a non-zero code (or its pod failed)",
}
"""What each container state means, in the legend's order (every `BadgeState`)."""


def binding_table(screen: Screen[object]) -> Table:
    table = Table(box=None, expand=True, show_header=True, header_style="bold")
    table.add_column("KEY", style="bold cyan", no_wrap=True)
    table.add_column("ACTION")
    table.add_column("ID (for keymap)", style="bright_black")
    seen: set[tuple[str, str]] = set()
    for _, binding, enabled, _tooltip in screen.active_bindings.values():
        description = binding.description or binding.action
        entry = (binding.key, description)
        if entry in seen:
            continue
        seen.add(entry)
        key = screen.app.get_key_display(binding)
        table.add_row(key, description if enabled else f"{description} (n/a)", binding.id or "")
    return table


def command_table() -> Table:
    table = Table(box=None, expand=True, show_header=True, header_style="bold")
    table.add_column("COMMAND (after :)", style="bold cyan", no_wrap=True)
    table.add_column("WHAT IT DOES")
    for command, what in command_help():
        table.add_row(command, what)
    return table


def takes_commands(screen: Screen[object]) -> bool:
    """Whether `screen` opens the `:` command bar (only the main screen does): the help lists
    the commands only there, not on screens where `:` does nothing."""
    return any(
        binding.action == "command" and enabled
        for _, binding, enabled, _tooltip in screen.active_bindings.values()
    )


def state_glyphs(state: BadgeState) -> str:
    """The glyphs a container in `state` is drawn with, one per group that draws it
    differently ("■ ◆ ●" while ready, "✔" once done), as `badge_glyph` draws them."""
    glyphs: list[str] = []
    for group in BADGE_SHAPE:
        glyph = badge_glyph(group, state)
        if glyph not in glyphs:
            glyphs.append(glyph)
    return " ".join(glyphs)


def glyph_legend() -> Table:
    """CONTAINERS: one glyph per container; while it runs its shape says its kind (filled when
    ready, hollow when not), otherwise a mark says its state; the colour repeats the state.
    Built from the tables the column draws with (`badge_glyph`, `BADGE_STYLE`)."""
    table = Table(box=None, expand=True, show_header=True, header_style="bold")
    table.add_column("GLYPH", no_wrap=True)
    table.add_column("MEANS")
    for group, shapes in BADGE_SHAPE.items():
        table.add_row(" ".join(shapes), GROUP_WORDS.get(group, group))
    for state, words in STATE_WORDS.items():
        table.add_row(Text(state_glyphs(state), style=BADGE_STYLE[state]), words)
    separator = Text(BADGE_SEPARATOR, style="bright_black")
    table.add_row(separator, "separates init, sidecar and app containers")
    return table


def legend_title() -> Text:
    title = Text("CONTAINERS", style="bold")
    title.append(" one glyph per container: its shape while it runs, else a mark", style="")
    return title


class HelpScreen(ModalScreen[None], inherit_bindings=False):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help.close"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90; max-width: 100%; max-height: 90%; height: auto;
        border: round $ktui-border-focus; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, target: Screen[object]) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        with Scroll() as scroll:
            scroll.border_title = "Keys (remap them by id in config.yaml: keymap)"
            yield Static(binding_table(self.target), id="bindings")
            if takes_commands(self.target):
                yield Static(Group(Text(""), command_table()), id="commands")
            yield Static(Group(Text(""), legend_title(), glyph_legend()), id="glyphs")

    def shown_text(self) -> str:
        """Everything the screen lists, as plain text (for tests)."""
        console = self.app.console
        parts = []
        for static in self.query(Static):
            with console.capture() as capture:
                console.print(static.content)
            parts.append(capture.get())
        return "\n".join(parts)
