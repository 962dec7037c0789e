"""`KtuiFooter`: Textual's `Footer`, rebuilt only when the keys it shows changed.

Textual's footer recomposes (a widget per key, each styled and laid out again) whenever the
screen's bindings may have changed, which is on every focus change: moving between the main
screen's panes, opening or closing the filter, a screen pushed or popped. Most of those leave
the shown keys exactly as they were (the panes share the screen's keys), and the recompose was
the largest single cost of such a keypress (about a fifth of the event loop's time over the
latency bench's keys). This one compares what it would show with what it shows and skips the
rebuild when nothing differs; what it shows is unchanged.

It also fits its width: when the keys do not fit (80 columns), it goes compact (one space
between keys), then leaves out the palette key, then the last keys, but never the help key
(`?` lists every key, so it must always be there to find the others). Textual's footer cut
whatever came last, which was `? Keys`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from textual.app import ComposeResult
from textual.events import Resize
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

HELP_ACTION = "help"
"""The app's `?` key: kept in the footer at any width."""
PALETTE_CLASS = "-command-palette"


def key_cells(key: FooterKey, *, compact: bool) -> int:
    """The cells a key takes in the footer (Textual's FooterKey and Footer styles): the key,
    a space, the description, and its padding (normal) or a margin of one (compact)."""
    label = len(key.key_display) + (1 + len(key.description) if key.description else 0)
    if key.has_class(PALETTE_CLASS):
        return label + (2 if compact else 4)  # its left border; its padding when not compact
    return label + (1 if compact else 2)


def fit_keys(keys: list[FooterKey], width: int) -> tuple[list[FooterKey], bool]:
    """The keys to show in `width` cells, in their order, and whether compact: all of them
    if they fit (compact if they must); else the palette key goes, then the last keys, never
    the help key."""
    for compact in (False, True):
        if sum(key_cells(k, compact=compact) for k in keys) <= width:
            return keys, compact
    kept = [k for k in keys if not k.has_class(PALETTE_CLASS)]
    while sum(key_cells(k, compact=True) for k in kept) > width:
        droppable = [k for k in kept if k.action != HELP_ACTION]
        if not droppable:
            break
        kept.remove(droppable[-1])
    return kept, True


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

    _composed_width = 0
    """The width the keys were last fitted to (0: not fitted)."""

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._shown = self._keys_shown()
        yield from self._fitted(super().compose())

    def _fitted(self, widgets: Iterable[Widget]) -> Iterator[Widget]:
        shown = list(widgets)
        width = self.size.width
        self._composed_width = width
        keys = [w for w in shown if isinstance(w, FooterKey)]
        if width <= 0 or len(keys) != len(shown):  # not laid out yet, or grouped keys
            self.compact = False
            yield from shown
            return
        kept, compact = fit_keys(keys, width)
        self.compact = compact
        yield from kept

    def on_resize(self, event: Resize) -> None:
        if event.size.width != self._composed_width and self._bindings_ready:
            self.refresh(recompose=True)

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
