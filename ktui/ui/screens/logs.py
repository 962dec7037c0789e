"""Container logs, streamed live from the API server's pods/log endpoint.

Each container's log is read by a `ktui.cluster.logs.LogStream` in a thread worker (one GET
with `follow=true`, the body read as it arrives); its chunks are queued and drained on the event
loop. Closing the screen stops the streams, so a read blocked on a quiet container returns at
once; a follow stream silent for longer than the read timeout is reopened by the stream itself
without losing lines.

Keys follow k9s: `s` toggles autoscroll, `p` the previous instance; `c` cycles containers
(the last choice shows all containers interleaved, each line prefixed `[container]`), `/`
searches with `n`/`N` to jump between matches (esc or q drops a kept search first), `t`
shows timestamps, `w` wraps long lines, `f` shows the log full screen (`f` or esc again
restores), `0`-`9` read the log again over a time range (`TIME_RANGES`: 0 the last lines, 1 the
last minute … 9 the last day; `sinceSeconds`), and
`ctrl+s` saves the lines shown, as shown, to a new file in the state directory's `logs`.

Log lines are whatever the container wrote: colour codes, OSC sequences, a clear-screen. Each
line's tabs are expanded, then every control and bidi character is shown as an escape
(`ktui.render.safe`), search highlights moved along; the strips drawn pass the same gate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ktui.cluster.logs import (
    INITIAL_TAIL_LINES,
    READ_TIMEOUT_S,
    LogLine,
    LogRequest,
    LogStream,
)
from ktui.cluster.state import CacheState, LinkWatch
from ktui.render.safe import safe_text
from ktui.ui.messages import ClusterChanged, RetryRequested
from ktui.ui.screens.log_screen import LogScreen, search_save_bindings
from ktui.ui.widgets.log_view import MAX_LINES, ChunkInbox, LogView
from ktui.ui.widgets.safe import SafeStatic
from ktui.view.logs import (
    container_choices,
    container_names,
    default_container,
    has_log,
    log_instance,
    no_log_yet,
)

Obj = dict[str, Any]

__all__ = ["ALL_CONTAINERS", "MAX_LINES", "TIME_RANGES", "ContainerPicker", "LogView", "LogsScreen"]

ALL_CONTAINERS = "*"
"""The container choice that shows every container's log, interleaved."""
TIME_RANGES: tuple[tuple[str, int | None], ...] = (
    ("tail", None),
    ("1m", 60),
    ("5m", 5 * 60),
    ("15m", 15 * 60),
    ("30m", 30 * 60),
    ("1h", 3600),
    ("3h", 3 * 3600),
    ("6h", 6 * 3600),
    ("12h", 12 * 3600),
    ("24h", 24 * 3600),
)
"""The keys 0-9 (k9s): the last lines (`INITIAL_TAIL_LINES`), or the lines of a time range."""

# ----------------------------------------------------------------------------- the screen


class LogsScreen(LogScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "toggle_autoscroll", "Autoscroll", id="logs.autoscroll"),
        Binding("p", "toggle_previous", "Previous", id="logs.previous"),
        Binding("c", "next_container", "Container", id="logs.next_container"),
        Binding("C", "pick_container", "Pick container", id="logs.pick_container"),
        Binding("a", "all_containers", "All containers", id="logs.all_containers"),
        Binding("t", "toggle_timestamps", "Timestamps", id="logs.timestamps"),
        Binding("w", "toggle_wrap", "Wrap", id="logs.wrap"),
        Binding("f", "toggle_fullscreen", "Full screen", id="logs.fullscreen"),
        *search_save_bindings("logs"),
        Binding("r", "reload", "Reload", show=False, id="logs.reload"),
        *(
            Binding(str(digit), f"since({digit})", label, show=False, id=f"logs.since_{digit}")
            for digit, (label, _) in enumerate(TIME_RANGES)
        ),
    ]
    DEFAULT_CSS = """
    LogsScreen.fullscreen #logs-status, LogsScreen.fullscreen #logs-error,
    LogsScreen.fullscreen Footer { display: none; }
    LogsScreen.fullscreen LogView { border: none; }
    LogsScreen #logs-fullscreen-hint {
        display: none; dock: bottom; height: 1; padding: 0 1; background: $panel;
    }
    LogsScreen.fullscreen #logs-fullscreen-hint { display: block; }
    """

    def __init__(
        self,
        uid: str,
        *,
        previous: bool = False,
        container: str | None = None,
        pod: Obj | None = None,
        read_timeout: float = READ_TIMEOUT_S,
    ) -> None:
        super().__init__()
        self.pod_uid = uid
        self.pod: Obj | None = pod
        self.previous = previous
        self.container = container
        self.read_timeout = read_timeout
        self.time_range = 0
        """Index into `TIME_RANGES` (the key pressed: 0 the tail)."""
        self.streams: list[LogStream] = []
        self._pods_link = LinkWatch()
        """The pods' watch, to read broken streams again when it heals (`_follow_link`), and
        the back-off before reading them again while it looks current (reset when lines
        arrive)."""
        self._link_retry: Timer | None = None
        self.ended: set[str] = set()
        self.not_started: dict[str, str] = {}
        """Containers whose log the kubelet refused because there is none yet (not started,
        no previous instance), in its words: shown in place of the log, not as an error."""
        self._instances: dict[str, str] = {}
        """Container -> the instance whose log its stream reads (`log_instance`), as the pod
        showed it when the stream opened: the log is read again when another one runs."""
        self._inbox = ChunkInbox(self._drain)

    def compose(self) -> ComposeResult:
        yield from super().compose()
        # Full screen hides the footer: this line (shown only then) says how to leave it.
        yield SafeStatic(id="logs-fullscreen-hint")

    def on_mount(self) -> None:
        self._inbox.loop = asyncio.get_running_loop()
        self.pod = self.ktui.model.objects.get(self.pod_uid) or self.pod
        if self.pod is not None and self.container is None:
            self.container = default_container(self.pod)
        self.set_focus(self.view)  # at once (see ObjectScreen.on_mount)
        self.start_streams()
        # Autoscroll also changes from the view's own keys (up, home): keep the status true.
        self.set_interval(1.0, self.update_status)

    def on_unmount(self) -> None:
        self.stop_streams()

    # ------------------------------------------------------------------ streams

    @property
    def since_seconds(self) -> int | None:
        return TIME_RANGES[self.time_range][1]

    @property
    def all_containers(self) -> bool:
        return self.container == ALL_CONTAINERS

    def stop_streams(self) -> None:
        streams, self.streams = self.streams, []
        for stream in streams:
            stream.stop()
        self._inbox.clear()

    def start_streams(self) -> None:
        """(Re)open the log of the chosen container(s) from scratch."""
        self.stop_streams()
        self.errors.clear()
        self.ended.clear()
        self.not_started.clear()
        view = self.view
        view.clear()
        view.set_display(prefix=self.all_containers)
        pod = self.pod
        if pod is None:
            self.errors[""] = "The pod is not in the cache (deleted?): no logs to read."
            self.update_status()
            return
        names = container_names(pod)
        if self.all_containers:
            targets = [n for n in names if has_log(pod, n, self.previous)]
            if not targets:
                which = "a previous instance" if self.previous else "started"
                self.errors[""] = f"No container of this pod has {which}: no logs yet."
        else:
            targets = [self.container] if self.container else []
            if not targets:
                self.errors[""] = "The pod has no containers."
        for name in targets:
            self.streams.append(self._open_stream(pod, name))
        if self.since_seconds is not None and not self.previous:
            # Following a time range that may well have no lines yet: say so, not "waiting".
            view.empty_message = self._no_lines_in_range(" yet")
        else:
            view.empty_message = (
                "Reading the previous instance's log…"
                if self.previous
                else "Waiting for log lines…"
            )
        self.update_status()

    def _no_lines_in_range(self, still: str = "") -> str:
        """A time range without lines: not an empty log (the container may well have logged
        before it); the key that reads the last lines whatever their age."""
        tail = self._key("logs.since_0", "0")
        return (
            f"No lines in the last {TIME_RANGES[self.time_range][0]}{still}"
            f" (older lines, if any: {tail} shows the last {INITIAL_TAIL_LINES})."
        )

    def _open_stream(self, pod: Obj, name: str) -> LogStream:
        metadata = pod.get("metadata") or {}
        request = LogRequest(
            namespace=str(metadata.get("namespace", "")),
            pod=str(metadata.get("name", "")),
            container=name,
            previous=self.previous,
            follow=not self.previous,
            tail_lines=INITIAL_TAIL_LINES if self.since_seconds is None else None,
            since_seconds=self.since_seconds,
        )
        stream = LogStream(
            self.ktui.connection.api_client,
            request,
            self._inbox.put,
            tag=name if self.all_containers else None,
            read_timeout=self.read_timeout,
        )
        self._instances[name] = log_instance(pod, name)
        self.run_worker(stream.run, thread=True, group="logs", exit_on_error=False)
        return stream

    def _reopen(self, pod: Obj, stale: LogStream) -> None:
        """Follow a container's new run in place of its ended stream (the others go on)."""
        name = stale.request.container
        self.ended.discard(name)
        self.not_started.pop(name, None)
        if self.errors.pop(name, None) is None and self.view.lines:
            # The previous run's lines stay; the new run's follow a marker.
            marker = f"──────── {name} started again ────────"
            self.view.add_lines([LogLine(marker, name if self.all_containers else None)])
        self.streams[self.streams.index(stale)] = self._open_stream(pod, name)
        self.update_status()

    def _drain(self) -> None:
        chunks = self._inbox.take()
        if not self.is_attached:
            return
        current = set(map(id, self.streams))
        lines: list[LogLine] = []
        for chunk in chunks:
            if id(chunk.stream) not in current:
                continue  # from a stream replaced by a container switch
            lines += chunk.lines
            if chunk.ended:
                name = chunk.stream.request.container
                self.ended.add(name)
                words = no_log_yet(chunk.error) if chunk.error else None
                if words is not None:
                    self.not_started[name] = words
                    if self.view.lines or lines:  # the lines of an earlier run stay: say it after
                        tag = name if self.all_containers else None
                        lines.append(LogLine(f"──────── {words} ────────", tag))
                elif chunk.error:
                    self.errors[name] = chunk.error
                    if chunk.link_broken:
                        self._retry_link_later()
        if lines:
            self._pods_link.answered()  # the link works: a next break waits 1 s
        self.view.add_lines(lines, ordered=self.all_containers)
        self._follow_new_instances()
        if self.streams and all(s.request.container in self.ended for s in self.streams):
            # No log yet is what the kubelet said, in its words (as kubectl logs prints them),
            # in place of the log; not also "empty".
            self.view.empty_message = "  ".join(
                f"[{name}] {words}" if self.all_containers else words
                for name, words in self.not_started.items()
            ) or ("The log is empty." if self.since_seconds is None else self._no_lines_in_range())
            self.view.refresh()
        self.update_status()

    # ------------------------------------------------------------------ status

    def update_status(self) -> None:
        view = self.view
        pod = self.pod or {}
        name = (pod.get("metadata") or {}).get("name", "?")
        status = Text(no_wrap=True, overflow="ellipsis")
        status.append("Logs ", style="bold")
        status.append(f"pod/{name}", style="bold cyan")
        status.append("  container ", style="grey62")
        status.append("all" if self.all_containers else (self.container or "-"), style="bold")
        if self.previous:
            status.append("  PREVIOUS", style="bold magenta")
        label = TIME_RANGES[self.time_range][0]
        if self.since_seconds is None:
            status.append(f"  tail {INITIAL_TAIL_LINES}", style="grey62")
        else:
            status.append(f"  last {label}", style="bold")
        if self.view.wrap:
            status.append("  wrap", style="grey62")
        active = [s for s in self.streams if s.request.container not in self.ended]
        if active and not self.previous:
            status.append("  ● following", style="green")
        elif self.not_started and not self.previous:
            # It is read as soon as the container starts (`_cluster_changed`).
            status.append("  … waiting for the container to start", style="dodger_blue1")
        elif self.streams and not self.errors:
            status.append("  ■ ended", style="grey62")
        self.show_status(
            status,
            [
                f"[{container}] {message}" if container and self.all_containers else message
                for container, message in self.errors.items()
            ],
        )
        view.border_title = safe_text(
            f"{'all containers' if self.all_containers else self.container}"
            f"{' (previous)' if self.previous else ''}"
        )

    # ------------------------------------------------------------------ live pod

    @on(ClusterChanged)
    def _cluster_changed(self, message: ClusterChanged) -> None:
        if message.batch.states:
            self._follow_link(message.batch.states)
        pod = message.batch.upserts.get("Pod", {}).get(self.pod_uid)
        if pod is None:
            return
        self.pod = pod
        if self.previous:
            return
        self._follow_new_instances()
        started = any(has_log(pod, n, False) for n in container_names(pod))
        if self.all_containers and not self.streams and started:
            self.start_streams()

    def _follow_new_instances(self) -> None:
        """A container whose stream ended (its run exited, the kubelet refused a container
        not started yet, an error) and that now has another instance: read that one, after
        the lines shown. Not on a change of state alone: a container that exited shows
        terminated, then waiting in CrashLoopBackOff, and a read of either returns the run
        that ended, already shown (`log_instance`). Looked at when the pod changes and when a
        stream ends: the kubelet ends a follow stream a little after its container exits, so
        the restart may be seen first (and the pod may not change again until it exits)."""
        pod = self.pod
        if pod is None or self.previous:
            return
        for stream in list(self.streams):
            name = stream.request.container
            if name not in self.ended or not has_log(pod, name, False):
                continue
            if log_instance(pod, name) != self._instances.get(name):
                self._reopen(pod, stream)

    # ------------------------------------------------------------------ actions

    def action_toggle_previous(self) -> None:
        self.previous = not self.previous
        self.start_streams()

    def action_next_container(self) -> None:
        if self.pod is None:
            return
        choices = [*container_names(self.pod), ALL_CONTAINERS]
        index = choices.index(self.container) if self.container in choices else -1
        self.container = choices[(index + 1) % len(choices)]
        self.start_streams()

    def action_pick_container(self) -> None:
        """A list of the pod's containers (what each is, its state) and all of them together."""
        if self.pod is None:
            return
        choices = [*container_choices(self.pod), (ALL_CONTAINERS, "all containers, interleaved")]
        current = ALL_CONTAINERS if self.all_containers else self.container

        def chosen(name: str | None) -> None:
            if name is not None and name != current:
                self.container = name
                self.start_streams()

        self.app.push_screen(ContainerPicker(choices, current), chosen)

    def action_all_containers(self) -> None:
        if self.all_containers:
            self.container = default_container(self.pod) if self.pod else None
        else:
            self.container = ALL_CONTAINERS
        self.start_streams()

    def action_reload(self) -> None:
        self.start_streams()

    def action_toggle_fullscreen(self) -> None:
        self.toggle_class("fullscreen")
        if self.has_class("fullscreen"):
            leave = self._key("logs.fullscreen", "f")
            close = self._key("inspector.close", "escape")
            self.query_one("#logs-fullscreen-hint", SafeStatic).update(
                Text(f"{leave} or {close}: leave full screen", style="grey62")
            )

    def _key(self, binding_id: str, default: str) -> str:
        """The key bound to `binding_id` (after the config's keymap), as shown to people."""
        keys = self.ktui.config.keymap.get(binding_id) or default
        return self.ktui.get_key_display(Binding(keys.split(",")[0], ""))

    def action_since(self, digit: int) -> None:
        """Read the log(s) again from the start of a time range (0: the last lines)."""
        if not 0 <= digit < len(TIME_RANGES):
            return
        self.time_range = digit
        self.start_streams()

    def save_name_parts(self) -> list[str]:
        """`<ns>_<pod>_<container>` (`all`, `-previous`) before the time."""
        metadata = (self.pod or {}).get("metadata") or {}
        container = "all" if self.all_containers else (self.container or "-")
        if self.previous:
            container += "-previous"
        return [str(metadata.get("namespace", "-")), str(metadata.get("name", "-")), container]

    def _retry_link_later(self) -> None:
        """A stream broke with the link. When the pods' watch is seen down, its return reads
        the streams again (`_follow_link`); but the watch may never look down (it came back
        before the stream's error arrived, or only this connection broke), so the streams are
        also read again after a back-off while the watch looks current."""
        # `_drain` runs from the loop's call_soon_threadsafe, outside Textual's context (its
        # active app), where a timer cannot run: the timer is set from the screen's queue.
        self.call_later(self._arm_link_retry)

    def _arm_link_retry(self) -> None:
        if self._link_retry is not None:
            return
        self._link_retry = self.set_timer(self._pods_link.next_retry_s(), self._link_retry_due)

    def _link_retry_due(self) -> None:
        self._link_retry = None
        if self.errors and not self._pods_link.down:
            self.start_streams()

    def _follow_link(self, changed: Mapping[str, CacheState]) -> None:
        """When the pods' watch is current again after being down or silent, streams that
        ended on an error (most likely the same broken link) are read again."""
        state = changed.get("Pod")
        if state is None:
            return
        if self._pods_link.healed(state) and self.errors:
            self.start_streams()

    @on(RetryRequested)
    def _retry_requested(self, message: RetryRequested) -> None:
        # ctrl+r: a stream that ended on an error (a broken link, a 403 since fixed), or on a
        # container with no log yet, is read again from the start; streams that are fine are
        # left alone.
        if self.errors or self.not_started:
            self.start_streams()

    def action_close(self) -> None:
        if self.close_search():
            return
        if self.has_class("fullscreen"):
            self.remove_class("fullscreen")
            return
        super().action_close()


class ContainerPicker(ModalScreen[str | None], inherit_bindings=False):
    """Which container's log to read: a list (enter picks, esc keeps the current one)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "cancel", "Cancel", id="container_picker.cancel"),
    ]
    DEFAULT_CSS = """
    ContainerPicker { align: center middle; }
    ContainerPicker OptionList {
        width: 90; max-width: 100%; height: auto; max-height: 80%;
        border: round $ktui-border-focus; background: $surface;
    }
    """

    def __init__(self, choices: list[tuple[str, str]], current: str | None) -> None:
        super().__init__()
        self.choices = choices
        self.current = current

    def compose(self) -> ComposeResult:
        options = [
            Option(safe_text(name if name != ALL_CONTAINERS else "all") + Text(f"  {what}", "dim"))
            for name, what in self.choices
        ]
        picker = OptionList(*options, id="containers")
        picker.border_title = "containers · enter: read its log · esc: keep"
        yield picker

    def on_mount(self) -> None:
        picker = self.query_one(OptionList)
        names = [name for name, _ in self.choices]
        picker.highlighted = names.index(self.current) if self.current in names else 0
        picker.focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[event.option_index][0])

    def action_cancel(self) -> None:
        self.dismiss(None)
