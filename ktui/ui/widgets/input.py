"""The one text input ktui uses: keys keep their order, and tab completes or does nothing.

Textual's `Input` inserts a typed character in its `_on_key`, but runs its bound keys
(backspace, arrows, enter, ...) only once the key has bubbled up to the app. Keys that arrive
together (typed fast, sent by tmux, a paste without bracketed paste) are then applied out of
order: `backspace 4 enter` in the scale dialog inserted the 4, deleted it, and submitted an empty
value (Textual issue #6605). `KtuiInput` runs its own bindings inline, in the order the keys came.

Tab in an input never moves the focus out of it (that stranded the `:` bar on screen, with the
next letters acting as hotkeys): it completes the word under the cursor from `completer`, or does
nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import Input

Completer = Callable[[str], Sequence[str]]
"""The text before the cursor -> the candidate texts that may replace it (in order)."""


class KtuiInput(Input):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "complete", "Complete", show=False, id="input.complete"),
        Binding("shift+tab", "complete", "Complete", show=False),
    ]

    def __init__(
        self, value: str | None = None, *, completer: Completer | None = None, **kwargs: object
    ) -> None:
        super().__init__(value, **kwargs)  # type: ignore[arg-type]
        self.completer = completer
        self._cycle: tuple[str, list[str], int] | None = None
        """(the text completed from, its candidates, the one shown): tab again shows the next."""

    async def _on_key(self, event: events.Key) -> None:
        # The input's own bindings run here, before the next key is handled (not after the key
        # has bubbled to the app). Priority bindings were checked before the key got here.
        for binding in self._own_bindings(event.key):
            if await self.app.run_action(binding.action, self):
                event.stop()
                event.prevent_default()
                return
        if event.key not in ("tab", "shift+tab"):
            self._cycle = None
        await super()._on_key(event)

    async def caught_up(self) -> None:
        """Return once this input has handled every key already forwarded to it.

        The app hands each key to the focused widget's queue and goes on with the next, so
        keys typed in one burst can sit in this queue while the app reads the key after them
        (an enter a screen binds with priority, to move the focus before the keys that follow
        it are routed): that screen waits here for the text to be complete."""
        done = asyncio.Event()
        self.call_later(done.set)
        await done.wait()

    def _own_bindings(self, key: str) -> tuple[Binding, ...]:
        bindings = self._bindings.copy()
        keymap = self.app._keymap
        if keymap:
            bindings.apply_keymap(keymap)
        return tuple(b for b in bindings.key_to_bindings.get(key, ()) if not b.priority)

    def action_complete(self) -> None:
        """Tab: the next completion of the text before the cursor, if there is one."""
        if self.completer is None:
            return
        before = self.value[: self.cursor_position]
        if self._cycle is not None and self._cycle[1] and before == self._cycle[1][self._cycle[2]]:
            start, candidates, index = self._cycle
            index = (index + 1) % len(candidates)
        else:
            start, candidates, index = before, list(self.completer(before)), 0
        if not candidates:
            self._cycle = None
            return
        self._cycle = (start, candidates, index)
        after = self.value[self.cursor_position :]
        self.value = candidates[index] + after
        self.cursor_position = len(candidates[index])
