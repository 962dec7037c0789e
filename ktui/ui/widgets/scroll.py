"""A vertical scroll whose keys have ids (Textual's own scroll bindings have none)."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll


class Scroll(VerticalScroll, inherit_bindings=False):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "scroll_up", "Scroll up", show=False, id="scroll.up"),
        Binding("down,j", "scroll_down", "Scroll down", show=False, id="scroll.down"),
        Binding("home,g", "scroll_home", "Top", show=False, id="scroll.top"),
        Binding("end,G", "scroll_end", "Bottom", show=False, id="scroll.bottom"),
        Binding("pageup,ctrl+b", "page_up", "Page up", show=False, id="scroll.page_up"),
        Binding("pagedown,ctrl+f", "page_down", "Page down", show=False, id="scroll.page_down"),
    ]
