"""Bindings every screen shares, with ids so users can remap them.

Screens are declared with `inherit_bindings=False` so that Textual's own screen keys (which have
no ids, and whose ctrl+c copies text instead of quitting) do not leak in; these replace them.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

FOCUS_BINDINGS: list[BindingType] = [
    Binding("tab", "app.focus_next", "Next", show=False, id="focus.next"),
    Binding("shift+tab", "app.focus_previous", "Previous", show=False, id="focus.previous"),
]
