"""Events of an object and of everything it owns, newest first, warnings standing out.

`EventTable` is the table (used by the pod detail screen too); `EventsScreen` (`e` on the main
screen) shows the events of the selected object plus those of its dependents: a Deployment's
own events, its ReplicaSets' and its Pods'. Both follow the cache live, and ages keep ticking.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Footer, Static

from ktui.cluster.cache import ClusterCache
from ktui.render.cells import TimeCell
from ktui.render.events import event_cells, events_title
from ktui.ui.live_table import Column, LiveTable, Row
from ktui.ui.messages import ClusterChanged, ScopeChanged
from ktui.ui.screens.inspect import (
    InspectorScreen,
    batch_touches,
    descendants,
    kind_of,
    label_of,
    name_of,
    namespace_of,
)
from ktui.view.events import event_rows

Obj = dict[str, Any]
Target = tuple[str, str, str]
"""(kind, namespace, name) of an object events may name without its uid."""


def event_columns(with_object: bool) -> list[Column]:
    columns = [
        Column("type", "TYPE", min_width=7),
        Column("reason", "REASON", max_width=28),
    ]
    if with_object:
        columns.append(Column("object", "OBJECT", max_width=48))
    columns += [
        Column("count", "COUNT", justify="right"),
        Column("last", "LAST SEEN", justify="right"),
        Column("first", "FIRST SEEN", justify="right"),
        Column("message", "MESSAGE", min_width=20, max_width=400, flexible=True),
    ]
    return columns


def matching_events(events: Mapping[str, Obj], uids: set[str], targets: set[Target]) -> list[Obj]:
    """Events whose involved object is one of `uids`, or is named by (kind, namespace, name)
    (events recorded before the object had a uid, or by tools that leave it out)."""
    found = []
    for event in events.values():
        involved = event.get("involvedObject") or event.get("regarding") or {}
        uid = involved.get("uid")
        if uid and uid in uids:
            found.append(event)
            continue
        namespace = involved.get("namespace") or namespace_of(event)
        key = (str(involved.get("kind", "")), str(namespace), str(involved.get("name", "")))
        if key in targets:
            found.append(event)
    return found


def targets_of(
    cluster: ClusterCache | None, objects: Iterable[Obj]
) -> tuple[set[str], set[Target]]:
    uids: set[str] = set()
    targets: set[Target] = set()
    for obj in objects:
        uid = str((obj.get("metadata") or {}).get("uid", ""))
        if uid:
            uids.add(uid)
        targets.add((kind_of(cluster, obj), namespace_of(obj), name_of(obj)))
    return uids, targets


class EventTable(LiveTable):
    """Events as rows keyed by the event's uid, newest (last seen) first."""

    def __init__(self, *, with_object: bool, id: str | None = None) -> None:
        columns = event_columns(with_object)
        last = [c.key for c in columns].index("last")

        def newest_first(key: str, row: Row) -> Any:
            cell = row[last]
            return (cell.sort_value if isinstance(cell, TimeCell) else 0.0, key)

        super().__init__(columns, sort_key=newest_first, empty_message="No events.", id=id)
        self.with_object = with_object
        self.warning_count = 0

    def show_events(self, events: list[Obj], now: datetime) -> None:
        rows = event_rows(events, now)
        self.warning_count = sum(1 for row in rows if row.is_warning)
        self.replace_all({row.uid or row.name: event_cells(row, self.with_object) for row in rows})

    def title(self, what: str) -> str:
        warnings = f", {self.warning_count} warnings" if self.warning_count else ""
        return f"Events of {what} [{self.total_count}{warnings}]"


def cached_events(cluster: ClusterCache | None) -> Mapping[str, Obj]:
    if cluster is None:
        return {}
    try:
        return cluster.objects("Event")
    except KeyError:
        return {}


class EventsScreen(InspectorScreen):
    """Events of one object and of its dependents (ReplicaSets, Jobs, Pods)."""

    BINDINGS: ClassVar[list[BindingType]] = []
    DEFAULT_CSS = """
    EventsScreen #events-title { height: 1; padding: 0 1; background: $panel; }
    EventsScreen EventTable { border: round $accent; padding: 0 1; }
    """

    def __init__(self, uid: str) -> None:
        super().__init__()
        self.target_uid = uid
        self.target: Obj | None = None
        self.related: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static(id="events-title")
        yield EventTable(with_object=True, id="events")
        yield Footer()

    @property
    def table(self) -> EventTable:
        return self.query_one("#events", EventTable)

    def on_mount(self) -> None:
        self.table.clock = self.ktui.clock
        self.table.focus()
        self.set_interval(1.0, self.table.tick)
        self.reload()

    def reload(self) -> None:
        cluster = self.ktui.cluster
        target = cluster.get(self.target_uid) if cluster is not None else None
        if target is not None:
            self.target = target
        if self.target is None:
            self.query_one("#events-title", Static).update(
                Text("The object is gone from the cache.", style="bold red")
            )
            self.table.show_events([], self.ktui.clock())
            return
        objects = [self.target]
        if cluster is not None:
            self.related = descendants(cluster, self.target_uid)
            objects += [o for o in map(cluster.get, self.related) if o is not None]
        uids, targets = targets_of(cluster, objects)
        events = matching_events(cached_events(cluster), uids, targets)
        self.table.show_events(events, self.ktui.clock())
        label = label_of(cluster, self.target)
        kinds = sorted({kind_of(cluster, o) for o in objects[1:]})
        scope = f"{label} and its {', '.join(k + 's' for k in kinds)}" if kinds else label
        self.table.border_title = self.table.title(scope)
        title = events_title(label, namespace_of(self.target), deleted=target is None)
        self.query_one("#events-title", Static).update(title)

    @on(ClusterChanged)
    def _cluster_changed(self, message: ClusterChanged) -> None:
        if message.generation != self.ktui.generation:
            return
        batch = message.batch
        if batch.upserts.get("Event") or batch.deletes.get("Event"):
            self.reload()
            return
        if batch_touches(batch, {self.target_uid, *self.related}):
            self.reload()
            return
        cluster = self.ktui.cluster
        if cluster is None:
            return
        # A new dependent (a pod of a new ReplicaSet, say) brings its events along.
        for kind in ("Pod", "ReplicaSet", "Job", "ControllerRevision"):
            for uid in batch.upserts.get(kind, {}):
                if self.target_uid in cluster.index.owner_chain(uid):
                    self.reload()
                    return

    @on(ScopeChanged)
    def _scope_changed(self, message: ScopeChanged) -> None:
        self.reload()
