"""`SafeStatic`: a `Static` for what comes from the cluster, drawn through `ktui.render.safe`.

Whatever it is given (a `Text`, a `Group`, a `Table`, a `Syntax`, a plain `str`) passes the
gate: control and bidi characters are shown as escapes, never sent to the terminal, and a `str`
is plain text, never markup. Textual's own visuals (`Content`) are shown as they are.
"""

from __future__ import annotations

from rich.console import RenderableType
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

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        super().update(_gated(content), layout=layout)
