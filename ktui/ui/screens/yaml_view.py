"""Any object as highlighted YAML (`y`), and a concise kubectl-describe-like summary (`d`).

Both follow the object live through the cache's change batches. `metadata.managedFields` is
never shown (it is dropped on arrival anyway; objects from elsewhere may still carry it).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer

from ktui.model.objects import kind_of, label_of, namespace_of
from ktui.render.describe import describe, object_yaml, yaml_syntax
from ktui.ui.messages import ClusterChanged
from ktui.ui.screens.base import InspectorScreen
from ktui.ui.widgets.safe import SafeStatic
from ktui.ui.widgets.scroll import Scroll

Obj = dict[str, Any]


class ObjectScreen(InspectorScreen):
    """A screen about one object (by uid) that follows it live."""

    DEFAULT_CSS = """
    ObjectScreen .object-title { height: 1; padding: 0 1; background: $panel; }
    ObjectScreen VerticalScroll { border: round $ktui-border-focus; padding: 0 1; }
    """

    def __init__(self, uid: str, *, fallback: Obj | None = None) -> None:
        super().__init__()
        self.object_uid = uid
        self.obj: Obj | None = fallback
        self.deleted = False

    def compose(self) -> ComposeResult:
        yield SafeStatic(classes="object-title", id="object-title")
        with Scroll(id="object-scroll"):
            yield SafeStatic(id="object-body")
        yield Footer()

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
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(f"{self.screen_name} ", style="bold")
        if self.obj is None:
            title.append("object not found in the cache", style="bold red")
            self.query_one("#object-title", SafeStatic).update(title)
            self.body.update("")
            return
        title.append(label_of(self.obj), style="bold cyan")
        if namespace_of(self.obj):
            title.append(f"  ns {namespace_of(self.obj)}", style="grey62")
        if self.deleted:
            title.append("  ✖ deleted: showing its last known state", style="bold red")
        self.query_one("#object-title", SafeStatic).update(title)
        self.render_body(self.obj)

    screen_name = ""

    def render_body(self, obj: Obj) -> None:
        raise NotImplementedError

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
        self.body.update(yaml_syntax(self.yaml_text))

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
        self.body.update(self.describe_text)

    def on_other_changes(self, message: ClusterChanged) -> None:
        batch = message.batch
        if (batch.upserts.get("Event") or batch.deletes.get("Event")) and self.obj is not None:
            self.render_body(self.obj)

    def action_yaml(self) -> None:
        self.app.switch_screen(YamlScreen(self.object_uid, fallback=self.obj))
