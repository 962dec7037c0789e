"""The one gate between strings from the cluster (names, labels, images, event messages, log
lines...) and the terminal: control and bidi characters are shown, never interpreted.

Anyone who can create a pod or an event can put `ESC ] 0 ; title BEL` (set the terminal title),
`ESC [ 2 J` (clear the screen) or U+202E (right-to-left override) into a string ktui shows.
Rich strips only BEL, BS, VT, FF and CR; ESC, the C1 controls (CSI U+009B, OSC U+009D...), DEL
and the bidi controls would reach the terminal as they are. Here each one is replaced by a
visible escape, drawn reversed:

- C0 controls in caret notation (`^[` for ESC, `^I` for a tab, `^J` for a newline), DEL as `^?`;
- C1 controls as `\\x9b`;
- bidi embeddings, overrides, isolates and marks, and the Unicode line/paragraph separators,
  as `\\u202e`.

A newline is escaped too unless a renderer lays out lines of its own (`keep_newlines`: describe,
YAML, diffs), which it then does on purpose.

Escaping happens before layout wherever the text is built (`safe_text`, `escape_text`,
`visible`), so widths are measured on what is drawn. `gate` is the boundary every widget that
shows cluster data goes through: a `Text` is escaped as a `Text` (spans kept); any other
renderable (a `Table`, `Group`, `Syntax`) is wrapped in `Sanitized`, which escapes the texts it
can reach before layout and rewrites every segment it renders, so nothing hostile gets past it
whatever the renderable. `sanitize_segments` is the same rewrite for the Line-API widgets that
draw their own strips (the tables, the log view).

Each check is a precompiled regex `search`: a clean string (nearly all of them) is returned as it
is, without a copy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from copy import copy
from dataclasses import replace
from typing import Final

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style, StyleType
from rich.table import Table
from rich.text import Span, Text

__all__ = [
    "ESCAPE_STYLE",
    "Sanitized",
    "escape_text",
    "gate",
    "is_hostile",
    "safe_text",
    "sanitize_segments",
    "visible",
]

ESCAPE_STYLE: Final = Style(reverse=True)
"""How an escape is drawn: reversed, so `^[` reads as one character that is not text."""

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_SEPARATORS = "\u2028\u2029"
_HOSTILE: Final = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}{_SEPARATORS}]")
_HOSTILE_BUT_NEWLINE: Final = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f{_BIDI}{_SEPARATORS}]")


def _escape_char(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return "^" + chr(code + 0x40)
    if code == 0x7F:
        return "^?"
    if code <= 0x9F:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


_ESCAPES: Final = {
    chr(code): _escape_char(chr(code))
    for code in [
        *range(0x00, 0x20),
        *range(0x7F, 0xA0),
        *(0x061C, 0x200E, 0x200F, 0x2028, 0x2029),
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ]
}


def _pattern(keep_newlines: bool) -> re.Pattern[str]:
    return _HOSTILE_BUT_NEWLINE if keep_newlines else _HOSTILE


def is_hostile(text: str, *, keep_newlines: bool = False) -> bool:
    """Whether `text` holds a character that `visible` would escape."""
    return _pattern(keep_newlines).search(text) is not None


def visible(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every control, bidi and separator character replaced by its visible escape
    (`^[`, `\\x9b`, `\\u202e`); `text` itself when there is none."""
    pattern = _pattern(keep_newlines)
    if pattern.search(text) is None:
        return text
    return pattern.sub(lambda match: _ESCAPES[match.group()], text)


def safe_text(text: str, style: StyleType = "", *, keep_newlines: bool = False) -> Text:
    """A `Text` of `text` in `style`, its escapes drawn reversed.

    Use it instead of `Text(text)` for a string from the cluster: `Text` itself would silently
    drop BEL, BS and CR and keep ESC."""
    pattern = _pattern(keep_newlines)
    if pattern.search(text) is None:
        return Text(text, style=style)
    result = Text(style=style)
    position = 0
    for match in pattern.finditer(text):
        if match.start() > position:
            result.append(text[position : match.start()])
        result.append(_ESCAPES[match.group()], ESCAPE_STYLE)
        position = match.end()
    result.append(text[position:])
    return result


def escape_text(text: Text, *, keep_newlines: bool = False) -> Text:
    """`text` with its hostile characters escaped, spans moved along (a search highlight stays
    on what it highlighted); `text` itself when there is nothing to escape."""
    plain = text.plain
    pattern = _pattern(keep_newlines)
    if pattern.search(plain) is None:
        return text
    offsets: list[int] = []
    pieces: list[str] = []
    escapes: list[Span] = []
    length = 0
    position = 0
    for match in pattern.finditer(plain):
        for _ in range(position, match.start()):
            offsets.append(length)
            length += 1
        pieces.append(plain[position : match.start()])
        escaped = _ESCAPES[match.group()]
        offsets.append(length)
        escapes.append(Span(length, length + len(escaped), ESCAPE_STYLE))
        length += len(escaped)
        pieces.append(escaped)
        position = match.end()
    for _ in range(position, len(plain)):
        offsets.append(length)
        length += 1
    pieces.append(plain[position:])
    offsets.append(length)
    spans = [Span(offsets[s.start], offsets[s.end], s.style) for s in text.spans]
    return Text(
        "".join(pieces),
        style=text.style,
        justify=text.justify,
        overflow=text.overflow,
        no_wrap=text.no_wrap,
        end=text.end,
        tab_size=text.tab_size,
        spans=spans + escapes,
    )


def sanitize_segments(segments: Iterable[Segment], *, keep_newlines: bool = True) -> list[Segment]:
    """Segments with the hostile characters of their text escaped (reversed). Control segments
    (cursor moves Rich itself emits) are kept; they never hold cluster text. Newlines are the
    line breaks of a rendering unless `keep_newlines` is False (one line of a Line-API widget).
    """
    pattern = _pattern(keep_newlines)
    result: list[Segment] = []
    for segment in segments:
        text, style, control = segment
        if control or pattern.search(text) is None:
            result.append(segment)
            continue
        escape_style = (style + ESCAPE_STYLE) if style else ESCAPE_STYLE
        position = 0
        for match in pattern.finditer(text):
            if match.start() > position:
                result.append(Segment(text[position : match.start()], style))
            result.append(Segment(_ESCAPES[match.group()], escape_style))
            position = match.end()
        if position < len(text):
            result.append(Segment(text[position:], style))
    return result


def _before_layout(renderable: RenderableType, keep_newlines: bool) -> RenderableType:
    """Escape the texts reachable in `renderable` (a Text, a Group's or a Table's texts) so that
    layout measures what is drawn. Anything else is left to the segment rewrite."""
    if isinstance(renderable, Text):
        return escape_text(renderable, keep_newlines=keep_newlines)
    if isinstance(renderable, str):
        return visible(renderable, keep_newlines=keep_newlines)
    if isinstance(renderable, Group):
        return Group(
            *(_before_layout(r, keep_newlines) for r in renderable.renderables),
            fit=renderable.fit,
        )
    if isinstance(renderable, Table):
        table = copy(renderable)
        table.columns = [
            replace(
                column,
                header=_before_layout(column.header, False),
                _cells=[_before_layout(cell, False) for cell in column._cells],
            )
            for column in renderable.columns
        ]
        return table
    return renderable


class Sanitized:
    """A renderable drawn like the one it wraps, with every hostile character escaped.

    What can be escaped before layout is (texts, groups, tables); everything the wrapped
    renderable yields is then rewritten by `sanitize_segments`."""

    def __init__(self, renderable: RenderableType, *, keep_newlines: bool = True) -> None:
        self.renderable = _before_layout(renderable, keep_newlines)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from sanitize_segments(console.render(self.renderable, options))

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.renderable)


def gate(renderable: RenderableType, *, keep_newlines: bool = True) -> RenderableType:
    """What a widget showing cluster data draws instead of `renderable`: a `Text` escaped as a
    `Text` (Textual draws it natively, unchanged when clean), a `str` as plain text (never as
    markup), anything else wrapped in `Sanitized`. Newlines are kept: a widget's content is laid
    out in lines on purpose; single-line values are escaped when their text is built."""
    if isinstance(renderable, Text):
        return escape_text(renderable, keep_newlines=keep_newlines)
    if isinstance(renderable, str):
        return safe_text(renderable, keep_newlines=keep_newlines)
    return Sanitized(renderable, keep_newlines=keep_newlines)
