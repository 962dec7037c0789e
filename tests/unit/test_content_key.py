"""`content_key`: what lets `SafeStatic` skip an update that would draw what it shows."""

from __future__ import annotations

from rich.console import Group
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from ktui.ui.widgets.safe import content_key


def table(image: str = "nginx:1.27", style: str = "grey62", ratio: int = 2) -> Group:
    grid = Table(box=None, expand=True, show_header=True, header_style="bold grey70")
    grid.add_column("NAME", no_wrap=True, max_width=30)
    grid.add_column("IMAGE", ratio=ratio, overflow="fold")
    grid.add_row(Text("app", style="bold"), Text(image, style=style))
    grid.add_row("", Text("  waiting", style="italic red"))
    return Group(Text("Containers (1)", style="bold underline"), grid)


def test_the_same_content_built_twice_has_one_key() -> None:
    assert content_key(table()) is not None
    assert content_key(table()) == content_key(table())
    assert content_key(Text("a", style="red")) == content_key(Text("a", style="red"))
    assert content_key("plain") == content_key("plain")


def test_any_difference_in_what_is_drawn_changes_the_key() -> None:
    shown = content_key(table())
    assert content_key(table(image="nginx:1.28")) != shown  # a cell's text
    assert content_key(table(style="red")) != shown  # a cell's style
    assert content_key(table(ratio=3)) != shown  # a column setting
    assert content_key(Text("a", style="red")) != content_key(Text("a", style="blue"))
    spanned = Text("ab")
    spanned.stylize("bold", 0, 1)
    assert content_key(spanned) != content_key(Text("ab"))
    assert content_key("a") != content_key(Text("a"))


def test_a_renderable_changed_after_it_was_shown_no_longer_matches() -> None:
    group = table()
    shown = content_key(group)
    grid = group.renderables[1]
    assert isinstance(grid, Table)
    grid.add_row("", Text("another"))
    assert content_key(group) != shown
    text = Text("a")
    before = content_key(text)
    text.append("b")
    assert content_key(text) != before


def test_what_it_cannot_compare_has_no_key() -> None:
    assert content_key(Syntax("a: 1", "yaml")) is None
    grid = Table()
    grid.add_column("A")
    grid.add_row(Syntax("a: 1", "yaml"))
    assert content_key(grid) is None
    assert content_key(Group(Text("a"), Syntax("a: 1", "yaml"))) is None
