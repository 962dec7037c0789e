"""What a table's filter text means: a substring, `!text` (rows without it), or
`-l SELECTOR` (rows whose object's labels match a kubectl label selector; `!-l` inverts)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ktui.cluster.selectors import SelectorError, parse_selector, selector_matches

Labels = Mapping[str, str]


@dataclass(frozen=True)
class RowFilter:
    text: str = ""
    """The filter as typed."""
    needle: str = ""
    """Lowercase substring to look for in a row's text ("" with a selector)."""
    selector: dict[str, Any] | None = None
    invert: bool = False
    error: str = ""
    """Why the selector is not one (the filter then matches no row)."""

    @classmethod
    def parse(cls, text: str) -> RowFilter:
        body = text.strip()
        invert = body.startswith("!")
        if invert:
            body = body[1:].lstrip()
        if body == "-l" or body[:3] in ("-l ", "-l\t"):
            expression = body[2:].strip()
            if not expression:
                return cls(text, invert=invert, error="a label selector is expected after -l")
            try:
                return cls(text, selector=parse_selector(expression), invert=invert)
            except SelectorError as error:
                return cls(text, invert=invert, error=str(error))
        return cls(text, needle=body.lower(), invert=invert)

    @property
    def active(self) -> bool:
        """Whether some row may be left out."""
        return bool(self.needle or self.selector is not None or self.error)

    @property
    def by_labels(self) -> bool:
        return self.selector is not None or bool(self.error)

    def matches(self, search_text: str, labels: Callable[[], Labels]) -> bool:
        """Whether a row is shown: `search_text` is its cells' lowercase text, `labels` gives
        its object's labels (asked only for a selector)."""
        if self.error:
            return False
        if self.selector is not None:
            found = selector_matches(self.selector, labels())
        elif self.needle:
            found = self.needle in search_text
        else:
            return True
        return found != self.invert

    def describe(self) -> str:
        """The filter for a pane title: ` /web`, ` /-l app=web`, with why it is not valid."""
        if not self.text.strip():
            return ""
        if self.error:
            return f" /{self.text.strip()} ✗ {self.error}"
        return f" /{self.text.strip()}"
