"""Any object as highlighted YAML (`y`), and a concise kubectl-describe-like summary (`d`).

Both follow the object live through the cache's change batches. `metadata.managedFields` is
never shown (it is dropped on arrival anyway; objects from elsewhere may still carry it).

`/` searches the text (case-insensitive, as you type): the matches are marked, the view scrolls
to the first, `n`/`N` jump to the next/previous (wrapping) and the title says "match i of n".
Enter keeps the search, esc drops it. The search stays applied when the object changes.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input

from ktui.model.objects import kind_of, label_of, namespace_of
from ktui.render.describe import (
    CURRENT_MATCH_STYLE,
    describe,
    find_matches,
    highlight_text,
    object_yaml,
    yaml_matches,
    yaml_syntax,
)
from ktui.ui.messages import ClusterChanged
from ktui.ui.screens.base import InspectorScreen
from ktui.ui.widgets.footer import KtuiFooter
from ktui.ui.widgets.input import KtuiInput
from ktui.ui.widgets.safe import SafeStatic
from ktui.ui.widgets.scroll import Scroll

Obj = dict[str, Any]


class ObjectScreen(InspectorScreen):
    """A screen about one object (by uid) that follows it live, its text searchable."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search", id="object.search"),
        Binding("n", "jump(1)", "Next match", id="object.next_match"),
        Binding("N", "jump(-1)", "Prev match", id="object.previous_match"),
    ]
    DEFAULT_CSS = """
    ObjectScreen .object-title { height: 1; padding: 0 1; background: $panel; }
    ObjectScreen VerticalScroll { border: round $ktui-border-focus; padding: 0 1; }
    ObjectScreen #object-search {
        display: none; dock: bottom; margin-bottom: 1; border: tall $ktui-border-focus;
    }
    ObjectScreen #object-search.visible { display: block; }
    """

    def __init__(self, uid: str, *, fallback: Obj | None = None) -> None:
        super().__init__()
        self.object_uid = uid
        self.obj: Obj | None = fallback
        self.deleted = False
        self.search = ""
        self.match_count = 0
        self.current_match: int | None = None
        """Index of the match jumped to (0 = the first), None without a search."""

    def compose(self) -> ComposeResult:
        yield SafeStatic(classes="object-title", id="object-title")
        with Scroll(id="object-scroll"):
            yield SafeStatic(id="object-body")
        yield KtuiInput(placeholder="search…", id="object-search")
        yield KtuiFooter()

    def on_mount(self) -> None:
        found = self.ktui.model.objects.get(self.object_uid)
        if found is not None:
            self.obj = found
        self.deleted = found is None
        self.query_one("#object-scroll").focus()
        self.show()

    @property
    def body(self) -> SafeStatic:
        return self.query_one("#object-body", SafeStatic)

    def show(self) -> None:
        if self.obj is None:
            self.match_count = 0
            self._update_title()
            self.body.update("")
            return
        self.render_body(self.obj)

    def _update_title(self) -> None:
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(f"{self.screen_name} ", style="bold")
        if self.obj is None:
            title.append("object not found in the cache", style="bold red")
            self.query_one("#object-title", SafeStatic).update(title)
            return
        title.append(label_of(self.obj), style="bold cyan")
        if namespace_of(self.obj):
            title.append(f"  ns {namespace_of(self.obj)}", style="grey62")
        if self.deleted:
            title.append("  ✖ deleted: showing its last known state", style="bold red")
        if self.search:
            title.append(f"  /{self.search} ", style="yellow")
            if self.match_count and self.current_match is not None:
                title.append(f"match {self.current_match + 1} of {self.match_count}", "yellow")
            else:
                title.append("no match", style="bold yellow")
        self.query_one("#object-title", SafeStatic).update(title)

    screen_name = ""

    def render_body(self, obj: Obj) -> None:
        """Build the object's text (kept on the screen), then `paint` it."""
        raise NotImplementedError

    def count_matches(self) -> int:
        """How many matches of `search` the text has."""
        raise NotImplementedError

    def marked(self, current: int | None) -> RenderableType:
        """The text with the matches of `search` marked, the `current`-th standing out."""
        raise NotImplementedError

    def paint(self, *, scroll: bool = False) -> None:
        """Show the text with the search applied; with `scroll`, bring the current match into
        view (a live re-render leaves the scroll position alone)."""
        self.match_count = self.count_matches() if self.search else 0
        if not self.match_count:
            self.current_match = None
        elif self.current_match is None:
            self.current_match = 0
        else:
            self.current_match = min(self.current_match, self.match_count - 1)
        renderable = self.marked(self.current_match)
        self.body.update(renderable)
        self._update_title()
        if scroll and self.current_match is not None:
            self.call_after_refresh(self._scroll_to_current, renderable)

    def _scroll_to_current(self, renderable: RenderableType) -> None:
        row = self._current_row(renderable)
        if row is None:
            return
        scroll = self.query_one("#object-scroll", Scroll)
        height = max(1, scroll.scrollable_content_region.height)
        scroll.scroll_to(y=max(0, row - height // 2), animate=False, immediate=True)

    def _current_row(self, renderable: RenderableType) -> int | None:
        """The line of the body the current match is drawn on (laid out as the body is)."""
        width = self.body.size.width
        if width <= 0:
            return None
        console = self.app.console
        options = console.options.update(width=width, height=None)
        target = Style.parse(CURRENT_MATCH_STYLE).bgcolor
        for row, line in enumerate(console.render_lines(renderable, options, pad=False)):
            if any(seg.style is not None and seg.style.bgcolor == target for seg in line):
                return row
        return None

    def action_search(self) -> None:
        search = self.query_one("#object-search", Input)
        search.value = self.search
        search.add_class("visible")
        search.focus()

    @on(Input.Changed, "#object-search")
    def _search_changed(self, message: Input.Changed) -> None:
        if message.value == self.search:
            return
        self.search = message.value
        self.current_match = None
        if self.obj is not None:
            self.paint(scroll=True)

    @on(Input.Submitted, "#object-search")
    def _search_submitted(self, message: Input.Submitted) -> None:
        message.input.remove_class("visible")
        self.query_one("#object-scroll").focus()

    def action_jump(self, step: int) -> None:
        if not self.search:
            self.action_search()
            return
        if not self.match_count:
            return
        if self.current_match is None:
            self.current_match = 0 if step > 0 else self.match_count - 1
        else:
            self.current_match = (self.current_match + step) % self.match_count
        self.paint(scroll=True)

    def action_close(self) -> None:
        # esc while typing a search drops it; once kept (enter), esc drops it first.
        search = self.query_one("#object-search", Input)
        if search.has_class("visible") or self.search:
            search.remove_class("visible")
            self.query_one("#object-scroll").focus()
            self.search = ""
            if self.obj is not None:
                self.paint()
            else:
                self._update_title()
            return
        super().action_close()

    @on(ClusterChanged)
    def _cluster_changed(self, message: ClusterChanged) -> None:
        batch = message.batch
        for objects in batch.upserts.values():
            changed = objects.get(self.object_uid)
            if changed is not None:
                self.obj = changed
                self.deleted = False
                self.show()
                return
        if any(self.object_uid in uids for uids in batch.deletes.values()):
            self.deleted = True
            self.show()
            return
        self.on_other_changes(message)

    def on_other_changes(self, message: ClusterChanged) -> None:
        """A batch that did not change the object itself (its events may have changed)."""


class YamlScreen(ObjectScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "describe", "Describe", id="yaml.describe"),
    ]
    screen_name = "YAML"

    def render_body(self, obj: Obj) -> None:
        self.yaml_text = object_yaml(obj)
        self.paint()

    def count_matches(self) -> int:
        return yaml_matches(self.yaml_text, self.search)

    def marked(self, current: int | None) -> RenderableType:
        return yaml_syntax(self.yaml_text, self.search, current)

    def action_describe(self) -> None:
        if self.obj is not None and kind_of(self.obj) == "Pod":
            self.ktui.open_screen("detail", self.object_uid, replace=True)
        else:
            self.app.switch_screen(DescribeScreen(self.object_uid, fallback=self.obj))


class DescribeScreen(ObjectScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "yaml", "YAML", id="describe.yaml"),
    ]
    screen_name = "Describe"

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        if self.obj is not None:
            self.render_body(self.obj)

    def render_body(self, obj: Obj) -> None:
        kind = kind_of(obj)
        events = self.ktui.model.objects.events_about([obj])
        children = self.ktui.model.objects.children(self.object_uid, "ReplicaSet")
        self.describe_text = describe(obj, kind, events, self.ktui.clock(), children)
        self.paint()

    def count_matches(self) -> int:
        return len(find_matches(self.describe_text.plain, self.search))

    def marked(self, current: int | None) -> RenderableType:
        return highlight_text(self.describe_text, self.search, current)[0]

    def on_other_changes(self, message: ClusterChanged) -> None:
        batch = message.batch
        if (batch.upserts.get("Event") or batch.deletes.get("Event")) and self.obj is not None:
            self.render_body(self.obj)

    def action_yaml(self) -> None:
        self.app.switch_screen(YamlScreen(self.object_uid, fallback=self.obj))
