"""`?`: every binding of the screen below, with the key currently bound (after remapping)."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from ktui.ui.widgets.scroll import Scroll


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


class HelpScreen(ModalScreen[None], inherit_bindings=False):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help.close"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90; max-height: 90%; height: auto;
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
