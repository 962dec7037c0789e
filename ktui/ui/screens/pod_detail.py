"""One pod, live: why it is not ready, its lifecycle as a picture, its containers in three
groups, a card per container that crashed (with the last lines of the log of the run that ended:
its previous instance's, or its current one's when it has not restarted), its events.

Opened with enter on a pod (`d`, here or on a pod row, is `kubectl describe pod`). The screen
follows the pod through the cache's change batches and says so plainly when the pod is deleted
(the last known state stays on screen). Ages and the timeline's "now" edge move every second.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.events import ScreenResume
from textual.timer import Timer

from ktui.cluster.logs import LogChunk, LogRequest, LogStream
from ktui.model.objects import name_of, namespace_of
from ktui.render.containers import container_counts
from ktui.render.header import out_of_date_since, stale_text
from ktui.render.pod import deleted_notice, pod_not_found, pod_title, stale_notice
from ktui.render.safe import safe_text
from ktui.render.triage import crash_card_text, readiness_text
from ktui.ui.messages import ClusterChanged, ScopeChanged
from ktui.ui.screens.base import InspectorScreen
from ktui.ui.screens.pod_actions import PodActions, pod_action_bindings
from ktui.ui.widgets.containers import ContainerList
from ktui.ui.widgets.events import EventTable
from ktui.ui.widgets.footer import KtuiFooter
from ktui.ui.widgets.safe import SafeStatic
from ktui.ui.widgets.scroll import Scroll
from ktui.ui.widgets.timeline import PodTimeline
from ktui.view.crash import CrashCard, crash_cards
from ktui.view.logs import default_container
from ktui.view.readiness import explain_readiness

Obj = dict[str, Any]

PREVIOUS_LOG_LINES = 12
"""Last lines of the crashed run's log shown on its card."""
PREVIOUS_LOG_BYTES = 32 * 1024
"""At most this much of that log is asked for (`limitBytes`)."""
LogKey = tuple[str, int, bool]
"""(container, restart count, current run): which run's log a card shows."""


class PodDetailScreen(PodActions, InspectorScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("l", "logs", "Logs", id="pod.logs"),
        Binding("p", "previous_logs", "Previous logs", id="pod.previous_logs"),
        Binding("y", "yaml", "YAML", id="pod.yaml"),
        Binding("d", "describe", "Describe", id="pod.describe"),
        Binding("e", "focus_events", "Events", id="pod.events"),
        *pod_action_bindings(show=True),
    ]
    DEFAULT_CSS = """
    PodDetailScreen #pod-title { height: auto; padding: 0 1; background: $panel; }
    PodDetailScreen #pod-deleted {
        display: none; height: auto; padding: 0 1; background: $error 30%;
    }
    PodDetailScreen.deleted #pod-deleted { display: block; }
    PodDetailScreen #pod-stale { display: none; height: auto; padding: 0 1; }
    PodDetailScreen.stale #pod-stale { display: block; }
    PodDetailScreen.stale #pod-body, PodDetailScreen #pod-events.stale { text-opacity: 55%; }
    PodDetailScreen #pod-events.stale { border-subtitle-color: $warning; }
    PodDetailScreen #pod-readiness { height: auto; padding: 0 1; }
    PodDetailScreen { overflow-y: hidden; }
    PodDetailScreen #pod-body { height: 2fr; min-height: 8; scrollbar-size-vertical: 1; }
    PodDetailScreen #lifecycle, PodDetailScreen #containers-box, PodDetailScreen #crash-box {
        height: auto; border: round $ktui-border; padding: 0 1;
    }
    PodDetailScreen #crash-box { display: none; border: round $error; }
    PodDetailScreen.crashed #crash-box { display: block; }
    PodDetailScreen #pod-events {
        height: 1fr; min-height: 5; max-height: 16; border: round $ktui-border;
        padding: 0 1;
    }
    PodDetailScreen #pod-events:focus { border: round $ktui-border-focus; }
    PodDetailScreen #pod-body:focus #lifecycle { border: round $ktui-border-focus; }
    PodDetailScreen #containers-box:focus-within { border: round $ktui-border-focus; }
    """

    def __init__(self, uid: str) -> None:
        super().__init__()
        self.pod_uid = uid
        self.pod: Obj | None = None
        self.deleted_at: datetime | None = None
        self.pod_events: list[Obj] = []
        self.cards: list[CrashCard] = []
        self.previous_logs: dict[LogKey, tuple[list[str], str | None]] = {}
        """What each card's log request brought: its last lines, or a note (why none)."""
        self._log_streams: list[LogStream] = []
        self._target = 0
        """Bumped whenever the screen is pointed at a pod (`show_pod`): a crash log read for an
        earlier target that ends later is dropped, not shown on this pod's cards."""
        self._clock_timer: Timer | None = None
        """Moves the ages and the timeline's "now" every second, while the screen is shown."""
        self._shown_before = False
        self._drawn_for_showing = False
        """Set when the screen was (re)targeted and drawn at the current clock just before it is
        shown; otherwise, shown again (uncovered), it draws at the current clock first."""

    def compose(self) -> ComposeResult:
        yield SafeStatic(id="pod-title")
        yield SafeStatic(id="pod-deleted")
        yield SafeStatic(id="pod-stale")
        yield SafeStatic(id="pod-readiness")
        with Scroll(id="pod-body"):
            with Vertical(id="lifecycle"):
                yield PodTimeline(id="timeline")
            with Vertical(id="containers-box"):
                yield ContainerList(id="containers")
            with Vertical(id="crash-box"):
                yield SafeStatic(id="crash-cards")
        yield EventTable(with_object=False, id="pod-events")
        yield KtuiFooter()

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
        self._show_target()
        self._clock_timer = self.set_interval(1.0, self._tick)

    def show_pod(self, uid: str) -> None:
        """Point this screen at the pod `uid`, before it is shown again (the app keeps one pod
        screen and retargets it: `KtuiApp.open_screen`). Nothing of the pod shown before stays:
        its crash cards and their log reads, the deleted notice, its events, the scroll position
        and the focus. The pod is read from the model now: a screen off the stack got no
        batches meanwhile."""
        self._stop_log_reads()
        self._target += 1
        self.pod_uid = uid
        self.pod = None
        self.deleted_at = None
        self.pod_events = []
        self.cards = []
        self.previous_logs = {}
        if self.is_mounted:
            self.events.clear()
            self._show_target()
            self.query_one("#pod-body").scroll_home(animate=False)

    def _show_target(self) -> None:
        self.pod = self.ktui.model.objects.get(self.pod_uid)
        if self.pod is None:
            self.deleted_at = self.ktui.clock()
        self.render_events()
        self.render_pod()
        self.render_out_of_date()
        self._drawn_for_showing = True
        self.query_one("#pod-body").focus()

    def on_screen_suspend(self) -> None:
        # Not shown (closed, or covered by the logs or YAML screen): the clock stops. Closed
        # (off the stack), the crash logs still being read are not needed any more.
        if self._clock_timer is not None:
            self._clock_timer.pause()
        if self not in self.app.screen_stack:
            self._stop_log_reads()

    def on_screen_resume(self, event: ScreenResume) -> None:
        # Runs before `Screen._on_screen_resume` (handlers go from this class to its bases),
        # which restyles every widget of a pushed screen: a third of an open's CSS work. Shown
        # again, the kept screen's widgets keep the styles they had (a theme switch restyles
        # every screen the app holds, a closed one too: tested). Its first showing keeps the
        # restyle: without it the lifecycle box missed its focus border.
        if self._shown_before:
            event.refresh_styles = False
        self._shown_before = True
        # Uncovered (back from the logs or YAML screen): its clock stood still meanwhile, so it
        # draws at the current one before it is painted (this runs before the first paint),
        # not a second later: ages too young, events newer than its "now" read "<invalid>".
        # Just retargeted, it was drawn at the current clock already.
        if not self._drawn_for_showing:
            self._tick()
        self._drawn_for_showing = False
        # The next tick a full interval on.
        if self._clock_timer is not None:
            self._clock_timer.reset()

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
            self._render_no_pod()
            return
        title = pod_title(pod, now, readonly=self.ktui.readonly)
        self.query_one("#pod-title", SafeStatic).update(title)
        self.timeline.show(pod, now)
        self.containers.show(pod, now)
        lifecycle = self.query_one("#lifecycle")
        lifecycle.border_title = "Lifecycle"
        groups = self.containers.groups
        counts = container_counts(groups) if groups else ""
        self.query_one("#containers-box").border_title = f"Containers ({counts})"
        self.render_diagnosis(pod, now)

    def _render_no_pod(self) -> None:
        """What a screen opened on a pod that is not in the cache shows below its title:
        nothing (a retargeted screen may still show the pod it showed before)."""
        self.timeline.clear()
        self.containers.clear()
        self.query_one("#lifecycle").border_title = None
        self.query_one("#containers-box").border_title = None
        self.query_one("#pod-readiness", SafeStatic).update("")
        self.cards = []
        self.set_class(False, "crashed")
        self.query_one("#crash-box").border_title = None
        self.query_one("#crash-cards", SafeStatic).update("")

    def render_diagnosis(self, pod: Obj, now: datetime) -> None:
        """Why the pod is not ready (top), and a card per container that crashed."""
        readiness = explain_readiness(pod, self.pod_events, now)
        self.query_one("#pod-readiness", SafeStatic).update(readiness_text(readiness))
        self.cards = crash_cards(pod, self.pod_events, now)
        self.set_class(bool(self.cards), "crashed")
        texts = []
        for card in self.cards:
            key = (card.container, card.restart_count, card.current)
            if key not in self.previous_logs and self.deleted_at is None:
                self.previous_logs[key] = ([], "reading its log…")
                self._read_log(
                    pod, card.container, previous=not card.current, key=key, target=self._target
                )
            lines, note = self.previous_logs.get(key, ([], None))
            texts.append(crash_card_text(card, now, lines, note, self._whole_log_key(pod, card)))
        box = self.query_one("#crash-box")
        box.border_title = f"Crashed containers ({len(self.cards)})"
        self.query_one("#crash-cards", SafeStatic).update(Text("\n\n").join(texts))

    def _whole_log_key(self, pod: Obj, card: CrashCard) -> str | None:
        """The key that opens the whole log a card shows the end of: `l` for the current
        instance's (a run that ended with no restart: `p` would find no previous instance),
        `p` for the previous one's; None when the key opens another container (the logs open
        on `default_container`)."""
        if default_container(pod) != card.container:
            return None
        binding_id = "pod.logs" if card.current else "pod.previous_logs"
        default = "l" if card.current else "p"
        keys = self.ktui.config.keymap.get(binding_id) or default
        return self.ktui.get_key_display(Binding(keys.split(",")[0], ""))

    @work(thread=True, group="crash-log", exit_on_error=False)
    def _read_log(
        self, pod: Obj, container: str, *, previous: bool, key: LogKey, target: int
    ) -> None:
        """One request for the last lines of the run that crashed (on a worker thread)."""
        request = LogRequest(
            namespace=namespace_of(pod),
            pod=name_of(pod),
            container=container,
            previous=previous,
            follow=False,
            tail_lines=PREVIOUS_LOG_LINES,
            limit_bytes=PREVIOUS_LOG_BYTES,
        )
        lines: list[str] = []
        errors: list[str] = []

        def sink(chunk: LogChunk) -> None:
            lines.extend(line.text for line in chunk.lines)
            if chunk.error:
                errors.append(chunk.error)

        if target != self._target:
            return  # the screen was pointed at another pod before this read began
        stream = LogStream(self.ktui.connection.api_client, request, sink, read_timeout=15.0)
        self._log_streams.append(stream)
        stream.run()
        note = None
        if errors:
            note = f"its log could not be read: {errors[0]}"
        elif not lines:
            note = "its log is empty"
        self.app.call_from_thread(self._log_read, key, lines[-PREVIOUS_LOG_LINES:], note, target)

    def _log_read(self, key: LogKey, lines: list[str], note: str | None, target: int) -> None:
        if target != self._target:
            return  # read for a pod this screen showed before
        self.previous_logs[key] = (lines, note)
        if self.is_mounted and self.pod is not None:
            self.render_diagnosis(self.pod, self.ktui.clock())

    def _stop_log_reads(self) -> None:
        streams, self._log_streams = self._log_streams, []
        for stream in streams:
            stream.stop()

    def on_unmount(self) -> None:
        self._stop_log_reads()

    def render_events(self) -> None:
        # The table draws its time cells at its own "now", moved by `tick`: while the screen is
        # hidden it does not tick, so it is moved here, or events that arrived meanwhile would
        # be drawn against an older "now" ("<invalid>" ages).
        self.events.tick()
        pod = self.pod
        if pod is None:
            self.pod_events = []
            self.events.show_events([], self.ktui.clock())
        else:
            self.pod_events = self.ktui.model.objects.events_about([pod])
            self.events.show_events(self.pod_events, self.ktui.clock())
        what = f"pod {name_of(pod) if pod else ''}"
        self.events.border_title = safe_text(self.events.title(what))

    def render_out_of_date(self) -> None:
        """While the pods' watch is not current (silent, down, denied) the screen says since
        when, under its title, and dims what it shows; the events table, while the events'
        watch is not, says it under its border as the main screen's panes do."""
        states = self.ktui.model.objects.states
        pods_since = out_of_date_since(states, ("Pod",))
        self.set_class(pods_since is not None, "stale")
        notice = self.query_one("#pod-stale", SafeStatic)
        notice.update(stale_notice(pods_since, states["Pod"]) if pods_since else "")
        events_since = out_of_date_since(states, ("Event",))
        self.events.set_class(events_since is not None, "stale")
        self.events.set_subtitle(stale_text(events_since) if events_since else "")

    # ------------------------------------------------------------------ live updates

    @on(ClusterChanged)
    def _cluster_changed(self, message: ClusterChanged) -> None:
        batch = message.batch
        changed = batch.upserts.get("Pod", {}).get(self.pod_uid)
        events = bool(batch.upserts.get("Event") or batch.deletes.get("Event"))
        if changed is not None:
            self.pod = changed
            self.deleted_at = None
        deleted = changed is None and self.pod_uid in batch.deletes.get("Pod", ())
        if deleted:
            self.deleted_at = self.ktui.clock()
        if events:
            self.render_events()
        if changed is not None or deleted or events:
            self.render_pod()
        if message.changes.states:
            self.render_out_of_date()

    @on(ScopeChanged)
    def _scope_changed(self, message: ScopeChanged) -> None:
        # The new scope's cache may not hold this pod; keep showing what we have until it does.
        self.render_events()
        self.render_out_of_date()

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.pod_action_state(action)

    def pod_action_target(self) -> Obj | None:
        if self.pod is None:
            self.ktui.notify("The pod is not in the cache (deleted?).", severity="warning")
        return self.pod

    def action_logs(self) -> None:
        self.ktui.open_screen("logs", self.pod_uid)

    def action_previous_logs(self) -> None:
        self.ktui.open_screen("logs", self.pod_uid, previous=True)

    def action_yaml(self) -> None:
        self.ktui.open_screen("yaml", self.pod_uid, fallback=self.pod)

    def action_describe(self) -> None:
        self.ktui.open_screen("describe", self.pod_uid, fallback=self.pod)

    def action_focus_events(self) -> None:
        self.events.focus()
