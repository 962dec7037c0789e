"""`?`: every binding of the screen below, with the key currently bound (after remapping), the
`:` commands (their kind words from the kind registry) and a legend of the container glyphs
(drawn by `ktui.render.cells`, so the legend is what the tables show)."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from ktui.render.cells import _BADGE_GLYPH, BADGE_STYLE
from ktui.ui.commands import command_help
from ktui.ui.widgets.scroll import Scroll
from ktui.view.pod import BadgeState

GROUP_WORDS: dict[str, str] = {
    "init": "init container (runs to completion before the others start)",
    "sidecar": "sidecar (an init container that keeps running beside the app)",
    "main": "container",
}
"""What each badge shape stands for, by container group (`_BADGE_GLYPH`'s keys)."""


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


LIT_STATES = frozenset(
    {
        BadgeState.READY,
        BadgeState.RUNNING,
        BadgeState.TERMINATING,
        BadgeState.SUCCEEDED,
        BadgeState.FAILED,
    }
)
"""States the legend draws filled (the others: hollow), as a container row would."""


def glyph_legend() -> Table:
    """CONTAINERS: one glyph per container, its shape by kind, its colour by state."""
    table = Table(box=None, expand=True, show_header=True, header_style="bold")
    table.add_column("GLYPH", no_wrap=True)
    table.add_column("MEANS")
    for group, (filled, hollow) in _BADGE_GLYPH.items():
        word = GROUP_WORDS.get(group, group)
        table.add_row(f"{filled} {hollow}", f"{word}: filled once it runs, hollow before")
    filled, hollow = _BADGE_GLYPH.get("main", ("●", "○"))
    for state, style in BADGE_STYLE.items():
        glyph = filled if state in LIT_STATES else hollow
        table.add_row(Text(glyph, style=style), f"colour: {state.value}")
    table.add_row(Text("│", style="bright_black"), "separates init, sidecar and app containers")
    return table


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
            yield Static(Group(Text(""), command_table()), id="commands")
            yield Static(
                Group(Text(""), Text("CONTAINERS", style="bold"), glyph_legend()), id="glyphs"
            )

    def shown_text(self) -> str:
        """Everything the screen lists, as plain text (for tests)."""
        console = self.app.console
        parts = []
        for static in self.query(Static):
            with console.capture() as capture:
                console.print(static.content)
            parts.append(capture.get())
        return "\n".join(parts)
