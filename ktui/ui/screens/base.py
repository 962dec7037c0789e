"""What the screens about one object share. Imports no screen: the app opens screens
(`KtuiApp.open_screen`), so screens never import each other."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Input

from ktui.ui.bindings import FOCUS_BINDINGS

if TYPE_CHECKING:
    from ktui.ui.app import KtuiApp


class InspectorScreen(Screen[None], inherit_bindings=False):
    """A full screen about one object, above the main screen; escape goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back", id="inspector.close"),
        *FOCUS_BINDINGS,
    ]

    @property
    def ktui(self) -> KtuiApp:
        return self.app  # type: ignore[return-value]

    def mark_read_only(self, title: Text) -> Text:
        """Under --readonly, every screen says so on its title line (these screens have no
        header; the main, rollout and pod screens say it too), first, so that a narrow
        terminal's ellipsis never cuts it."""
        if not self.ktui.readonly:
            return title
        marked = Text(no_wrap=title.no_wrap, overflow=title.overflow, end=title.end)
        marked.append("READ-ONLY ", style="bold yellow")
        marked.append_text(title)
        return marked

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # `/` is a priority binding (it runs as the key arrives, not once the key has bubbled
        # up from the focused widget, after the keys queued behind it); while a box has the
        # focus, `/` is a character of it.
        if action in ("search", "filter", "keep_search", "keep_filter") and not self.is_mounted:
            # A priority key may arrive in the same burst as the key that opened this screen,
            # before its widgets exist: not yet (it used to raise NoMatches and end the app).
            return False
        return not (action in ("search", "filter") and isinstance(self.focused, Input))

    def action_close(self) -> None:
        if len(self.app.screen_stack) > 1 and self.app.screen is self:
            self.app.pop_screen()
