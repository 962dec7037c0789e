"""Events of an object and of everything it owns, newest first, warnings standing out.

`EventsScreen` (`e` on the main screen) shows the events of the selected object plus those of
its dependents: a Deployment's own events, its ReplicaSets' and its Pods'. It follows the app's
model live, and ages keep ticking. `/` filters the events as you type (the table's title shows
the filter); enter keeps the filter, esc drops it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input

from ktui.cluster.kinds import CHILD_KINDS
from ktui.model.objects import batch_touches, kind_of, label_of, namespace_of
from ktui.render.events import events_title
from ktui.render.safe import safe_text
from ktui.ui.live_table import LiveTable
from ktui.ui.messages import ClusterChanged, ScopeChanged
from ktui.ui.screens.base import InspectorScreen
from ktui.ui.widgets.events import EventTable
from ktui.ui.widgets.footer import KtuiFooter
from ktui.ui.widgets.input import KtuiInput
from ktui.ui.widgets.safe import SafeStatic

Obj = dict[str, Any]


class EventsScreen(InspectorScreen):
    """Events of one object and of its dependents (ReplicaSets, Jobs, Pods)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="events.filter", priority=True),
        # Enter in the filter box, with priority: the focus leaves the box before the keys
        # typed after enter in the same burst are routed to it.
        Binding("enter", "keep_filter", "Keep filter", show=False, priority=True),
    ]
    DEFAULT_CSS = """
    EventsScreen #events-title { height: 1; padding: 0 1; background: $panel; }
    EventsScreen EventTable { border: round $ktui-border-focus; padding: 0 1; }
    EventsScreen #events-filter {
        display: none; dock: bottom; margin-bottom: 1; border: tall $ktui-border-focus;
    }
    EventsScreen #events-filter.visible { display: block; }
    EventsScreen #event-message { height: auto; max-height: 4; padding: 0 1; }
    """

    def __init__(self, uid: str) -> None:
        super().__init__()
        self.target_uid = uid
        self.target: Obj | None = None
        self.related: list[str] = []
        self.scope = ""
        """What the events are of, for the table's title ("deployment/web and its Pods")."""

    def compose(self) -> ComposeResult:
        yield SafeStatic(id="events-title")
        yield EventTable(with_object=True, id="events")
        # The selected event's message, whole: MESSAGE is cut on a narrow terminal, and the
        # message is what an event is read for.
        yield SafeStatic(id="event-message")
        yield KtuiInput(placeholder="filter…", id="events-filter")
        yield KtuiFooter()

    @property
    def table(self) -> EventTable:
        return self.query_one("#events", EventTable)

    def on_mount(self) -> None:
        self.table.clock = self.ktui.clock
        self.set_focus(self.table)  # at once (see ObjectScreen.on_mount)
        self.set_interval(1.0, self.table.tick)
        self.reload()

    def reload(self) -> None:
        model = self.ktui.model.objects
        target = model.get(self.target_uid)
        if target is not None:
            self.target = target
        if self.target is None:
            self.query_one("#events-title", SafeStatic).update(
                Text("The object is gone from the cache.", style="bold red")
            )
            self.table.show_events([], self.ktui.clock())
            return
        objects = [self.target]
        self.related = model.descendants(self.target_uid)
        objects += [o for o in map(model.get, self.related) if o is not None]
        self.table.show_events(model.events_about(objects), self.ktui.clock())
        label = label_of(self.target)
        kinds = sorted({kind_of(o) for o in objects[1:]})
        self.scope = f"{label} and its {', '.join(k + 's' for k in kinds)}" if kinds else label
        self._table_title()
        self._show_message()
        title = events_title(label, namespace_of(self.target), deleted=target is None)
        self.query_one("#events-title", SafeStatic).update(self.mark_read_only(title))

    @on(LiveTable.Highlighted, "#events")
    def _highlighted(self, message: LiveTable.Highlighted) -> None:
        self._show_message()

    def _show_message(self) -> None:
        key = self.table.cursor_key
        row = self.table.row(key) if key is not None else None
        line = Text()
        if row is not None:
            reason, said = row[1], row[-1]
            if isinstance(reason, Text) and isinstance(said, Text):
                line = Text.assemble(reason, ": ", said)
        self.query_one("#event-message", SafeStatic).update(line)

    def _table_title(self) -> None:
        table = self.table
        title = table.title(self.scope)
        if table.filter_text:
            title += f" {table.row_count} shown{table.filter_description}"
        table.border_title = safe_text(title)

    def action_filter(self) -> None:
        field = self.query_one("#events-filter", Input)
        field.value = self.table.filter_text
        field.add_class("visible")
        # Focus now, not after the queued keys (`focus()` defers it): the keys typed in the
        # same burst as `/` (fast typing, tmux send-keys, a paste) belong in the box.
        self.set_focus(field)

    @on(Input.Changed, "#events-filter")
    def _filter_changed(self, message: Input.Changed) -> None:
        # Once enter kept the filter (the box hidden), changes still on their way are stale.
        if not message.input.has_class("visible"):
            return
        self.table.filter_text = message.value
        self._table_title()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "keep_filter":
            return self.is_mounted and self.focused is self.query_one("#events-filter")
        return super().check_action(action, parameters)

    async def action_keep_filter(self) -> None:
        """Enter while typing a filter: keep it (the input may still hold keys typed before
        enter; the filter is their text) and give the keys back to the table."""
        field = self.query_one("#events-filter", KtuiInput)
        field.remove_class("visible")
        self.set_focus(self.table)
        await field.caught_up()
        self.table.filter_text = field.value
        self._table_title()

    def action_close(self) -> None:
        # esc while typing a filter drops it; once kept (enter), esc drops it first.
        field = self.query_one("#events-filter", Input)
        if field.has_class("visible") or self.table.filter_text:
            field.remove_class("visible")
            self.table.filter_text = ""
            self.table.focus()
            self._table_title()
            return
        super().action_close()

    @on(ClusterChanged)
    def _cluster_changed(self, message: ClusterChanged) -> None:
        batch = message.batch
        if batch.upserts.get("Event") or batch.deletes.get("Event"):
            self.reload()
            return
        if batch_touches(batch, {self.target_uid, *self.related}):
            self.reload()
            return
        model = self.ktui.model.objects
        # A new dependent (a pod of a new ReplicaSet, say) brings its events along.
        for kind in ("Pod", *CHILD_KINDS):
            for uid in batch.upserts.get(kind, {}):
                if self.target_uid in model.owner_chain(uid):
                    self.reload()
                    return

    @on(ScopeChanged)
    def _scope_changed(self, message: ScopeChanged) -> None:
        self.reload()
