"""`SafeStatic`: a `Static` for what comes from the cluster, drawn through `ktui.render.safe`.

Whatever it is given (a `Text`, a `Group`, a `Table`, a `Syntax`, a plain `str`) passes the
gate: control and bidi characters are shown as escapes, never sent to the terminal, and a `str`
is plain text, never markup. Textual's own visuals (`Content`) are shown as they are.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual.visual import Visual, VisualType
from textual.widgets import Static

from ktui.render.safe import gate


def _gated(content: VisualType) -> VisualType:
    if isinstance(content, Visual):
        return content
    renderable: RenderableType = content  # type: ignore[assignment]
    return gate(renderable)


class SafeStatic(Static):
    """A `Static` whose content passes `ktui.render.safe.gate`."""

    def __init__(
        self,
        content: VisualType = "",
        *,
        expand: bool = False,
        shrink: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(
            _gated(content),
            expand=expand,
            shrink=shrink,
            markup=False,
            name=name,
            id=id,
            classes=classes,
            disabled=disabled,
        )

    _last_text: str | Text | None = None
    """The last plain text or `Text` shown (a copy), to skip an update that changes nothing."""

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        # Screens update their statics on every batch and every clock tick, mostly with what
        # they already show; each `update` costs Textual a layout of the whole screen (the
        # pod detail laid itself out several times a second under churn). Only text is
        # compared: other renderables are drawn again every time, as before.
        if isinstance(content, str | Text):
            if type(content) is type(self._last_text) and content == self._last_text:
                return
            self._last_text = content.copy() if isinstance(content, Text) else content
        else:
            self._last_text = None
        super().update(_gated(content), layout=layout)
