"""`KtuiFooter`: Textual's `Footer`, rebuilt only when the keys it shows changed.

Textual's footer recomposes (a widget per key, each styled and laid out again) whenever the
screen's bindings may have changed, which is on every focus change: moving between the main
screen's panes, opening or closing the filter, a screen pushed or popped. Most of those leave
the shown keys exactly as they were (the panes share the screen's keys), and the recompose was
the largest single cost of such a keypress (about a fifth of the event loop's time over the
latency bench's keys). This one compares what it would show with what it shows and skips the
rebuild when nothing differs; what it shows is unchanged.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer


class KtuiFooter(Footer):
    _shown: object = None
    """What the last compose showed (`_keys_shown`); None before the first."""

    def _keys_shown(self) -> object:
        """Everything `Footer.compose` reads from the bindings, as a comparable value."""
        app = self.app
        active = self.screen.active_bindings
        keys = tuple(
            (
                binding.key,
                binding.action,
                binding.description,
                binding.group,
                enabled,
                tooltip,
                app.get_key_display(binding),
            )
            for (_, binding, enabled, tooltip) in active.values()
            if binding.show
        )
        palette = active.get(app.COMMAND_PALETTE_BINDING)
        palette_key = None
        if palette is not None:
            _, binding, enabled, tooltip = palette
            palette_key = (binding.key, binding.description, enabled, tooltip)
        return (keys, palette_key, self.show_command_palette, app.ENABLE_COMMAND_PALETTE)

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._shown = self._keys_shown()
        yield from super().compose()

    def bindings_changed(self, screen: Screen[object]) -> None:
        if (
            self._shown is not None
            and self._bindings_ready
            and self.is_attached
            and screen is self.screen
            and self._keys_shown() == self._shown
        ):
            return
        super().bindings_changed(screen)
