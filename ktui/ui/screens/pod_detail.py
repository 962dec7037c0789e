"""One pod, live: its lifecycle as a picture, its containers in three groups, its events.

Opened with enter (or `d`, k9s's describe) on a pod. The screen follows the pod through the
cache's change batches and says so plainly when the pod is deleted (the last known state stays
on screen). Ages and the timeline's "now" edge move every second.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Footer

from ktui.model.objects import name_of
from ktui.render.containers import container_counts
from ktui.render.pod import deleted_notice, pod_not_found, pod_title
from ktui.render.safe import safe_text
from ktui.ui.messages import ClusterChanged, ScopeChanged
from ktui.ui.screens.base import InspectorScreen
from ktui.ui.widgets.containers import ContainerList
from ktui.ui.widgets.events import EventTable
from ktui.ui.widgets.safe import SafeStatic
from ktui.ui.widgets.scroll import Scroll
from ktui.ui.widgets.timeline import PodTimeline

Obj = dict[str, Any]


class PodDetailScreen(InspectorScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("l", "logs", "Logs", id="pod.logs"),
        Binding("p", "previous_logs", "Previous logs", id="pod.previous_logs"),
        Binding("y", "yaml", "YAML", id="pod.yaml"),
        Binding("e", "focus_events", "Events", id="pod.events"),
    ]
    DEFAULT_CSS = """
    PodDetailScreen #pod-title { height: auto; padding: 0 1; background: $panel; }
    PodDetailScreen #pod-deleted {
        display: none; height: auto; padding: 0 1; background: $error 30%;
    }
    PodDetailScreen.deleted #pod-deleted { display: block; }
    PodDetailScreen #pod-body { height: auto; max-height: 75%; }
    PodDetailScreen #lifecycle, PodDetailScreen #containers-box {
        height: auto; border: round $ktui-border; padding: 0 1;
    }
    PodDetailScreen #pod-events {
        height: 1fr; min-height: 6; border: round $ktui-border; padding: 0 1;
    }
    PodDetailScreen #pod-events:focus { border: round $ktui-border-focus; }
    PodDetailScreen #pod-body:focus-within #lifecycle { border: round $ktui-border-focus; }
    """

    def __init__(self, uid: str) -> None:
        super().__init__()
        self.pod_uid = uid
        self.pod: Obj | None = None
        self.deleted_at: datetime | None = None

    def compose(self) -> ComposeResult:
        yield SafeStatic(id="pod-title")
        yield SafeStatic(id="pod-deleted")
        with Scroll(id="pod-body"):
            with Vertical(id="lifecycle"):
                yield PodTimeline(id="timeline")
            with Vertical(id="containers-box"):
                yield ContainerList(id="containers")
        yield EventTable(with_object=False, id="pod-events")
        yield Footer()

    @property
    def timeline(self) -> PodTimeline:
        return self.query_one("#timeline", PodTimeline)

    @property
    def containers(self) -> ContainerList:
        return self.query_one("#containers", ContainerList)

    @property
    def events(self) -> EventTable:
        return self.query_one("#pod-events", EventTable)

    def on_mount(self) -> None:
        self.events.clock = self.ktui.clock
        self.pod = self.ktui.model.objects.get(self.pod_uid)
        if self.pod is None:
            self.deleted_at = self.ktui.clock()
        self.render_pod()
        self.render_events()
        self.query_one("#pod-body").focus()
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        self.render_pod()
        self.events.tick()

    # ------------------------------------------------------------------ rendering

    def render_pod(self) -> None:
        now = self.ktui.clock()
        self.set_class(self.deleted_at is not None, "deleted")
        deleted = self.query_one("#pod-deleted", SafeStatic)
        if self.deleted_at is not None:
            deleted.update(deleted_notice(self.deleted_at, now, last_known=self.pod is not None))
        pod = self.pod
        if pod is None:
            self.query_one("#pod-title", SafeStatic).update(pod_not_found())
            return
        self.query_one("#pod-title", SafeStatic).update(pod_title(pod, now))
        self.timeline.show(pod, now)
        self.containers.show(pod, now)
        lifecycle = self.query_one("#lifecycle")
        lifecycle.border_title = "Lifecycle"
        groups = self.containers.groups
        counts = container_counts(groups) if groups else ""
        self.query_one("#containers-box").border_title = f"Containers ({counts})"

    def render_events(self) -> None:
        pod = self.pod
        if pod is None:
            self.events.show_events([], self.ktui.clock())
        else:
            events = self.ktui.model.objects.events_about([pod])
            self.events.show_events(events, self.ktui.clock())
        what = f"pod {name_of(pod) if pod else ''}"
        self.events.border_title = safe_text(self.events.title(what))

    # ------------------------------------------------------------------ live updates

    @on(ClusterChanged)
    def _cluster_changed(self, message: ClusterChanged) -> None:
        batch = message.batch
        changed = batch.upserts.get("Pod", {}).get(self.pod_uid)
        if changed is not None:
            self.pod = changed
            self.deleted_at = None
            self.render_pod()
        elif self.pod_uid in batch.deletes.get("Pod", ()):
            self.deleted_at = self.ktui.clock()
            self.render_pod()
        if batch.upserts.get("Event") or batch.deletes.get("Event"):
            self.render_events()

    @on(ScopeChanged)
    def _scope_changed(self, message: ScopeChanged) -> None:
        # The new scope's cache may not hold this pod; keep showing what we have until it does.
        self.render_events()

    # ------------------------------------------------------------------ actions

    def action_logs(self) -> None:
        self.ktui.open_screen("logs", self.pod_uid)

    def action_previous_logs(self) -> None:
        self.ktui.open_screen("logs", self.pod_uid, previous=True)

    def action_yaml(self) -> None:
        self.ktui.open_screen("yaml", self.pod_uid, fallback=self.pod)

    def action_focus_events(self) -> None:
        self.events.focus()
