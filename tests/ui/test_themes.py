"""Every built-in Textual theme is readable on the main screen: pane borders (focused and not),
border titles and text contrast with the background, by WCAG 2.1's ratio computed from the
resolved CSS variables (the colours Textual gives the widgets in that theme)."""

from __future__ import annotations

from collections.abc import Callable

from textual.color import Color
from textual.theme import BUILTIN_THEMES
from ui_support import wait_for

from ktui.cluster.connection import Connection
from ktui.config import Config
from ktui.settings import Settings
from ktui.ui.app import make_app
from ktui.ui.live_table import LiveTable
from ktui.ui.theme_colors import BORDER_CONTRAST, border_variables, contrast_ratio

TEXT_CONTRAST = 4.5  # WCAG AA for text
MUTED_TITLE_CONTRAST = 3.0  # an unfocused pane's title is muted on purpose, but legible


def _on(background: Color, color: Color) -> Color:
    """`color` as drawn on `background`: auto colours resolved as Textual does, alpha blended."""
    if color.auto:
        color = background.get_contrast_text(color.a)
    return background + color


def _title_color(table: LiveTable, background: Color) -> Color:
    """The border title's colour as Textual draws it (`auto` resolved against the background)."""
    color = table.styles.border_title_color
    if table.styles.auto_border_title_color:
        color = background.get_contrast_text(color.a)
    return background + color


def test_contrast_ratio_is_wcag() -> None:
    assert round(contrast_ratio(Color(0, 0, 0), Color(255, 255, 255)), 1) == 21.0
    assert contrast_ratio(Color(18, 18, 18), Color(18, 18, 18)) == 1.0
    # catppuccin-latte's background with Textual's $panel-lighten-2 (the old border): 1.08
    assert contrast_ratio(Color.parse("#EFF1F5"), Color.parse("#F6FAFF")) < 1.1


def test_border_variables_reach_three_to_one_in_every_theme() -> None:
    for name, theme in BUILTIN_THEMES.items():
        variables = theme.to_color_system().generate()
        borders = border_variables(variables)
        background = Color.parse(variables["background"])
        if background.ansi is not None:
            # The terminal picks ANSI colours: use ones that are not its background.
            assert borders["ktui-border"] == "ansi_bright_black", name
            assert borders["ktui-border-focus"].startswith("ansi_"), name
            continue
        for key in ("ktui-border", "ktui-border-focus"):
            ratio = contrast_ratio(Color.parse(borders[key]), background)
            assert ratio >= BORDER_CONTRAST, (name, key, ratio)


async def test_main_screen_is_readable_in_every_builtin_theme(
    connect_to: Callable[..., Connection],
) -> None:
    app = make_app(Settings(), connection=connect_to(), config=Config())
    assert set(BUILTIN_THEMES) <= set(app.available_themes)
    async with app.run_test(size=(140, 40)) as pilot:
        workloads = app.screen.query_one("#workloads", LiveTable)
        children = app.screen.query_one("#children", LiveTable)
        workloads.focus()
        await wait_for(pilot, lambda: workloads.has_focus, "the workloads pane focused")
        problems: list[str] = []
        for name in sorted(BUILTIN_THEMES):
            app.theme = name
            await pilot.pause()
            for table, focused in ((workloads, True), (children, False)):
                background = table.background_colors[1]
                border = table.styles.border_top[1]
                if background.ansi is not None:
                    # ANSI themes: contrast is the terminal's; the border must be a colour of
                    # its own, not the terminal's default (which is what the text uses).
                    if border.ansi is None or border.ansi < 0:
                        problems.append(f"{name}: {table.id} border {border}")
                    continue
                title_minimum = TEXT_CONTRAST if focused else MUTED_TITLE_CONTRAST
                checks = [
                    ("border", _on(background, border), BORDER_CONTRAST),
                    ("text", _on(background, table.colors[3]), TEXT_CONTRAST),
                    ("title", _title_color(table, background), title_minimum),
                ]
                for what, color, minimum in checks:
                    ratio = contrast_ratio(color, background)
                    if ratio < minimum:
                        problems.append(
                            f"{name}: {table.id} ({'focused' if focused else 'unfocused'}) "
                            f"{what} {color.hex} on {background.hex} is {ratio:.2f}:1"
                        )
            # the focused pane stands out from the others
            if workloads.styles.border_top[1] == children.styles.border_top[1]:
                problems.append(f"{name}: focused and unfocused borders are the same colour")
        assert not problems, "\n".join(problems)
