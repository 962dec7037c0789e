"""What the screens about one object share. Imports no screen: the app opens screens
(`KtuiApp.open_screen`), so screens never import each other."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.screen import Screen

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

    def action_close(self) -> None:
        if len(self.app.screen_stack) > 1 and self.app.screen is self:
            self.app.pop_screen()
