"""Border colours that stay readable in every theme, light or dark.

Textual's `$panel-lighten-2` is a light grey: on a light theme's background (catppuccin-latte,
rose-pine-dawn, ...) an unfocused pane's border is white on white, and `$accent` is too pale to
mark the focused pane on some light themes. ktui computes its own two border variables from the
theme instead, so they reach WCAG's 3:1 contrast for user-interface components against the
background whatever the theme:

- `$ktui-border`: unfocused borders, the theme's foreground blended into the background just
  enough to reach 3:1 (subdued, never invisible);
- `$ktui-border-focus`: the focused pane, the theme's accent, moved towards the foreground until
  it reaches 3:1.

ANSI themes (colours chosen by the terminal) get ANSI colours that differ from the terminal's
background: bright black for unfocused borders, the accent for the focused one.
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.color import Color, ColorParseError

BORDER_CONTRAST = 3.0
"""WCAG 2.1 non-text contrast (1.4.11) for user-interface components."""


def _channel(value: int) -> float:
    scaled = value / 255
    return scaled / 12.92 if scaled <= 0.03928 else ((scaled + 0.055) / 1.055) ** 2.4


def relative_luminance(color: Color) -> float:
    """WCAG 2.1 relative luminance of an opaque colour."""
    return 0.2126 * _channel(color.r) + 0.7152 * _channel(color.g) + 0.0722 * _channel(color.b)


def contrast_ratio(first: Color, second: Color) -> float:
    """WCAG 2.1 contrast ratio of two opaque colours, 1.0 to 21.0."""
    high, low = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _parse(value: str | None) -> Color | None:
    if not value:
        return None
    try:
        color = Color.parse(value)
    except ColorParseError:
        return None
    return None if color.ansi is not None else color


def _towards(start: Color, target: Color, background: Color, minimum: float) -> Color:
    """`start` moved towards `target` in steps of 5% until it contrasts `minimum` with the
    background (`target` itself if nothing short of it does)."""
    for step in range(21):
        color = start.blend(target, step / 20)
        if contrast_ratio(color, background) >= minimum:
            return color
    return target


def border_variables(variables: Mapping[str, str]) -> dict[str, str]:
    """`ktui-border` and `ktui-border-focus` for a theme's resolved CSS variables."""
    background = _parse(variables.get("background"))
    foreground = _parse(variables.get("foreground"))
    if background is None or foreground is None:
        return {
            "ktui-border": "ansi_bright_black",
            "ktui-border-focus": variables.get("accent", "ansi_magenta"),
        }
    background = background.with_alpha(1.0)
    foreground = background + foreground
    accent = _parse(variables.get("accent"))
    unfocused = _towards(background, foreground, background, BORDER_CONTRAST)
    focused = _towards(
        background + accent if accent else foreground, foreground, background, BORDER_CONTRAST
    )
    return {"ktui-border": unfocused.hex, "ktui-border-focus": focused.hex}
