"""KtuiFooter: Textual's footer, rebuilt only when the keys it shows change."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Button
from textual.widgets._footer import FooterKey

from ktui.ui.widgets.footer import KtuiFooter


class Pane(Button):
    pass


class Special(Button):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("x", "press", "Special key")]


class FooterApp(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Pane("a", id="a")
        yield Pane("b", id="b")
        yield Special("c", id="c")
        yield KtuiFooter()


def keys(app: FooterApp) -> list[FooterKey]:
    return [k for k in app.screen.query(FooterKey) if not k.has_class("-command-palette")]


async def test_the_footer_is_rebuilt_only_when_its_keys_change() -> None:
    app = FooterApp()
    async with app.run_test() as pilot:
        app.query_one("#a", Pane).focus()
        await pilot.pause()
        shown = keys(app)
        assert [k.description for k in shown] == ["Quit"]
        # Another widget with the same keys: the very same footer keys stay.
        app.query_one("#b", Pane).focus()
        await pilot.pause()
        assert keys(app) == shown and all(a is b for a, b in zip(keys(app), shown, strict=True))
        # A widget with a key of its own: the footer shows it.
        app.query_one("#c", Special).focus()
        await pilot.pause()
        assert sorted(k.description for k in keys(app)) == ["Quit", "Special key"]
        app.query_one("#a", Pane).focus()
        await pilot.pause()
        assert [k.description for k in keys(app)] == ["Quit"]
