"""`SafeStatic`: a `Static` for what comes from the cluster, drawn through `ktui.render.safe`.

Whatever it is given (a `Text`, a `Group`, a `Table`, a `Syntax`, a plain `str`) passes the
gate: control and bidi characters are shown as escapes, never sent to the terminal, and a `str`
is plain text, never markup. Textual's own visuals (`Content`) are shown as they are.

Two savings over a plain `Static`, both for the screens that update their statics on every
batch and clock tick with what they mostly already show:

- an update with what is shown already (same text, same table cells and settings: see
  `content_key`) changes nothing: no layout of the screen, no repaint;
- a renderable that is not text (a `Table`, a `Group`) is drawn by Rich once per width
  (`RenderedOnce`): Textual measures its height for the layout and then draws its lines, two
  full Rich renders of the gated renderable, segment rewrite included, where one serves both.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import fields, is_dataclass
from enum import Enum
from typing import Any

from rich.box import Box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style as RichStyle
from rich.table import Table
from rich.text import Text
from textual._context import active_app
from textual.css.styles import RulesMap
from textual.render import measure
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual, VisualType, visualize
from textual.widgets import Static

from ktui.render.safe import gate

_LEAVES = (str, int, float, bool, type(None), RichStyle, Box, Enum)


class _NoKey(Exception):
    """A part of the content that `content_key` cannot vouch for."""


def _key(value: Any) -> Hashable:
    if isinstance(value, Text):
        return (
            Text,
            value.plain,
            _key(value.style),
            tuple(value.spans),
            value.justify,
            value.overflow,
            value.no_wrap,
            value.end,
            value.tab_size,
        )
    if isinstance(value, _LEAVES):
        return value
    if isinstance(value, list | tuple):
        return tuple(_key(item) for item in value)
    if isinstance(value, Group):
        return (Group, value.fit, _key(value.renderables))
    if isinstance(value, Table):
        return (Table, tuple((name, _key(item)) for name, item in vars(value).items()))
    if is_dataclass(value) and not isinstance(value, type):  # a Table's columns and rows
        return (type(value), tuple(_key(getattr(value, f.name)) for f in fields(value)))
    raise _NoKey(type(value).__name__)


def content_key(content: object) -> Hashable | None:
    """What `content` draws, as a value: equal keys draw the same thing. For a `str`, a `Text`,
    and `Group`s and `Table`s of them (every cell, style, span and setting, copied out, so a
    renderable changed after it was shown does not match its old key); None for anything else
    (never skipped)."""
    if not isinstance(content, str | Text | Group | Table):
        return None
    try:
        return (type(content), _key(content))
    except _NoKey:
        return None


class RenderedOnce(Visual):
    """A (gated) Rich renderable that Textual measures and draws from one Rich render per width.

    Textual's own wrapper (`RichVisual`) renders the renderable once to count its lines for the
    layout and again to draw them. Here the lines of the last width are kept: the height is
    their count (the newlines Rich yields, as `RichVisual` counts), and drawing them applies the
    widget's base style as `Widget.post_render` would. Still a Rich renderable itself (drawn as
    the renderable it wraps), for anything that prints a widget's content."""

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable
        self._width = -1
        self._height = 0
        self._lines: list[list[Segment]] = []
        self.renders = 0
        """Rich renders of `renderable` so far (one per width it was drawn at)."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.renderable

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.renderable)

    def _render_at(self, width: int) -> list[list[Segment]]:
        if width != self._width:
            app = active_app.get()
            options = app.console_options.update(highlight=False).update_width(width)
            segments = list(app.console.render(self.renderable, options))
            self._height = sum(text.count("\n") for text, _, _ in segments)
            self._lines = list(
                Segment.split_and_crop_lines(segments, width, include_new_lines=False, pad=False)
            )
            self._width = width
            self.renders += 1
        return self._lines

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        console = active_app.get().console
        return measure(console, self.renderable, container_width, container_width=container_width)

    def get_height(self, rules: RulesMap, width: int) -> int:
        self._render_at(width)
        return self._height

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        lines = self._render_at(width)
        if height is not None:
            lines = lines[:height]
        base = style.rich_style
        if not base:
            return [Strip(line) for line in lines]
        return [Strip(Segment.apply_style(line, base)) for line in lines]


def _gated(content: VisualType) -> VisualType:
    if isinstance(content, Visual):
        return content
    renderable: RenderableType = content  # type: ignore[assignment]
    gated = gate(renderable)
    return gated if isinstance(gated, Text) else RenderedOnce(gated)


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

    _last_key: Hashable | None = None
    """What the last update showed (`content_key`), to skip an update that changes nothing."""

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        # Screens update their statics on every batch and every clock tick, mostly with what
        # they already show; each `update` costs Textual a layout of the whole screen (the
        # pod detail laid itself out several times a second under churn) and a new render.
        key = content_key(content)
        if key is not None and key == self._last_key:
            return
        self._last_key = key
        gated = _gated(content)
        if layout and self._same_height(gated):
            layout = False
        super().update(gated, layout=layout)

    def _same_height(self, content: VisualType) -> bool:
        """Whether `content` takes as many lines, at the width this widget has, as it shows now:
        then a layout of the screen would move nothing (only the lines change). Only for a widget
        as wide as its container makes it (no width, or a fixed one) and as tall as its content
        (`height: auto`), already laid out and shown."""
        if not self.is_mounted or not self.display:
            return False
        width_rule, height_rule = self.styles.width, self.styles.height
        if width_rule is not None and (width_rule.is_auto or width_rule.is_fraction):
            return False  # as wide as its content, or `fr` (taken as auto in some layouts)
        if height_rule is None or not height_rule.is_auto:
            return False
        width, height = self.content_size
        if width <= 0 or height <= 0:
            return False
        visual = visualize(self, content, markup=False)
        # As `Widget.get_content_height` measures it (Textual passes its styles as the rules).
        return visual.get_height(self.styles, width) == height  # type: ignore[arg-type]
