"""Render Rich renderables the way a terminal would, without a terminal (or Textual).

`plain(renderable, width)` is the text a screen of that width shows; `style_at(renderable,
needle)` is the style of the first character of `needle` there, and `has_style` says whether
that style includes every attribute of a style string ("bold red" includes "red").
"""

from __future__ import annotations

import io

from rich.console import Console, RenderableType
from rich.style import Style


def _console(width: int) -> Console:
    return Console(
        file=io.StringIO(), width=width, record=True, color_system=None, force_terminal=False
    )


def plain(renderable: RenderableType, width: int = 80) -> str:
    console = _console(width)
    console.print(renderable)
    return console.export_text()


def style_at(renderable: RenderableType, needle: str, width: int = 80) -> Style:
    """The style of the first character of the first occurrence of `needle` once rendered."""
    console = _console(width)
    segments = list(console.render(renderable, console.options.update_width(width)))
    text = "".join(segment.text for segment in segments)
    index = text.find(needle)
    assert index >= 0, f"{needle!r} not in {text!r}"
    offset = 0
    for segment in segments:
        if offset + len(segment.text) > index:
            return segment.style or Style.null()
        offset += len(segment.text)
    raise AssertionError("unreachable")


def has_style(renderable: RenderableType, needle: str, expected: str, width: int = 80) -> bool:
    actual = style_at(renderable, needle, width)
    return actual + Style.parse(expected) == actual
