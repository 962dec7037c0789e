"""`LiveTable`'s measure of a cell (`cell_width`, with its fast path for printable ASCII) against
the measure it replaced, for hostile strings: control, C1, bidi and separator characters, wide
characters, markup, terminal attacks."""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pods_fixtures as fx
from rich.text import Text
from test_render_safe import ATTACKS, HOSTILE_POINTS, hostile

from ktui.render.cells import TimeCell, restarts_since
from ktui.render.safe import escape_text, visible
from ktui.ui.live_table import Cell, cell_width

NOW = fx.NOW


def reference_width(cell: Cell, now: datetime) -> int:
    """The measure `LiveTable._grow_widths` took of every cell before `cell_width`."""
    if isinstance(cell, str):
        return len(visible(cell))
    if isinstance(cell, Text):
        return escape_text(cell).cell_len
    return cell.text(now).cell_len + 1


@dataclass(frozen=True)
class Clock:
    """A clock cell that is not a `TimeCell`."""

    shown: str

    def text(self, now: datetime) -> Text:
        return Text(self.shown)

    @property
    def sort_value(self) -> float:
        return 0.0


def showing(value: str) -> Callable[[datetime | None, datetime], str]:
    def render(_moment: datetime | None, _now: datetime) -> str:
        return value

    return render


def samples() -> list[str]:
    rng = random.Random(11)
    found = [
        "",
        " ",
        string.printable,
        "".join(chr(c) for c in range(0x20, 0x7F)),
        "web-7d9f8b6c4-x2k9p",
        "2/2",
        "<none>",
        "ReplicaSet/web-7d9f8b6c4",
        "a\x07b",  # BEL: `Text` drops it, `visible` escapes it
        "tab\there",
        "世界",
        "é",
        "●│◆",
        "[b]markup[/b]",
        *ATTACKS,
        *HOSTILE_POINTS,
        *(f"x{point}y" for point in HOSTILE_POINTS),
    ]
    found += [hostile(rng, length) for length in (1, 3, 12, 40) for _ in range(50)]
    return found


def test_cell_width_is_the_measure_it_replaced() -> None:
    later = NOW + timedelta(days=3, seconds=7)
    for value in samples():
        spanned = Text.assemble(("ab", "red"), value, ("c", "bold"))
        cells: list[Cell] = [
            value,
            Text(value),
            Text(value, style="dim"),
            spanned,
            TimeCell(None, showing(value)),
            TimeCell(NOW - timedelta(hours=2), style="bold"),
            TimeCell(NOW - timedelta(seconds=30), restarts_since(3)),
            TimeCell(None),
            Clock(value),
        ]
        for cell in cells:
            for now in (NOW, later):
                assert cell_width(cell, now) == reference_width(cell, now), (repr(value), cell)
