"""The merged logs of a workload's current revision: every pod of the current ReplicaSet (or
ControllerRevision), one container, lines interleaved by timestamp, each prefixed `[name]` with
the pod name's last segment.

Opened from the rollout screen (`L`). Each batch that touches the workload, its revisions or its
pods looks again: a pod of the current revision whose container has started gets a stream (a
pod that appears during the rollout is followed), a pod that went away gets a marker line
(`──── pod web-abc-fm6sf went away ────`), and when another revision becomes current the
streams move to its pods. The streams are `ktui.cluster.logs.LogStream`s in thread workers, as
on the logs screen; their chunks are queued and drained on the event loop.

Keys: `c` cycles the template's containers, `s` autoscroll, `t` timestamps, `w` wrap, and as on
the logs screen (`log_screen.LogScreen`): `/` searches with `n`/`N` to jump between matches, and
`ctrl+s` saves the lines shown, `[pod]` prefixes and markers included, to a new file in the state
directory's `logs`.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType

from ktui.cluster.logs import (
    INITIAL_TAIL_LINES,
    READ_TIMEOUT_S,
    LogLine,
    LogRequest,
    LogStream,
)
from ktui.render.safe import safe_text
from ktui.ui.messages import ClusterChanged, RetryRequested
from ktui.ui.screens.log_screen import LogScreen, search_save_bindings
from ktui.ui.widgets.log_view import ChunkInbox
from ktui.view.images import pod_template
from ktui.view.logs import container_names, has_log, log_instance
from ktui.view.rollout_tree import RevisionNode, build_rollout_tree

Obj = dict[str, Any]


def short_name(pod_name: str) -> str:
    """The pod name's last segment (`web-abc12-fm6sf` -> `fm6sf`), the whole name if none."""
    return pod_name.rpartition("-")[2] or pod_name


def _meta(obj: Obj) -> Obj:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


class RevisionLogsScreen(LogScreen):
    """One container's log of every pod of a workload's current revision, interleaved."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "next_container", "Container", id="revision_logs.next_container"),
        Binding("s", "toggle_autoscroll", "Autoscroll", id="revision_logs.autoscroll"),
        Binding("t", "toggle_timestamps", "Timestamps", id="revision_logs.timestamps"),
        Binding("w", "toggle_wrap", "Wrap", id="revision_logs.wrap"),
        *search_save_bindings("revision_logs"),
    ]

    def __init__(self, uid: str, *, read_timeout: float = READ_TIMEOUT_S) -> None:
        super().__init__()
        self.uid = uid
        self.read_timeout = read_timeout
        self.container: str | None = None
        self.revision: RevisionNode | None = None
        """The current revision as last seen."""
        self.streams: dict[str, LogStream] = {}
        """Pod uid -> the stream of its chosen container."""
        self.pod_names: dict[str, str] = {}
        """Pod uid -> name, of the pods followed (streamed or waiting to start)."""
        self.ended: set[str] = set()
        # self.errors: pod uid (or "" for the screen) -> why its log cannot be read.
        self._instances: dict[str, str] = {}
        """Pod uid -> the container instance its stream reads (`log_instance`)."""
        self._inbox = ChunkInbox(self._drain)

    def on_mount(self) -> None:
        self._inbox.loop = asyncio.get_running_loop()
        self.view.set_display(prefix=True)
        self.set_focus(self.view)  # at once (see ObjectScreen.on_mount)
        self.container = self._default_container()
        self._sync()
        self.set_interval(1.0, self.update_status)

    def on_unmount(self) -> None:
        self._stop_all()

    # ------------------------------------------------------------------ the revision

    def _workload(self) -> Obj | None:
        return self.ktui.model.objects.get(self.uid)

    def _current_revision(self) -> RevisionNode | None:
        obj = self._workload()
        if obj is None:
            return None
        model = self.ktui.model
        tree = build_rollout_tree(obj, model.children(self.uid), model.pods(self.uid))
        return next((node for node in tree.revisions if node.is_current), None)

    def _template_spec(self) -> Obj:
        """The spec of the current revision's pod template (else of the workload's)."""
        objects = self.ktui.model.objects
        revision = self._current_revision()
        source = objects.get(revision.uid) if revision is not None else None
        template = pod_template(source) if source is not None else {}
        if not template:
            template = pod_template(self._workload() or {})
        spec = template.get("spec")
        return dict(spec) if isinstance(spec, dict) else {}

    def container_choices(self) -> list[str]:
        """The template's containers: init containers (sidecars) then regular ones."""
        return container_names({"spec": self._template_spec()})

    def _default_container(self) -> str | None:
        spec = self._template_spec()
        regular = [str(c.get("name")) for c in spec.get("containers") or () if c.get("name")]
        if regular:
            return regular[0]
        names = self.container_choices()
        return names[0] if names else None

    # ------------------------------------------------------------------ streams

    def _sync(self) -> None:
        """Bring the streams in line with the current revision's pods (see the module doc)."""
        revision = self._current_revision()
        objects = self.ktui.model.objects
        markers: list[str] = []
        if self.revision is not None and revision is not None and revision.uid != self.revision.uid:
            markers.append(f"──── revision {revision.revision} ({revision.name}) is current ────")
            for pod_uid in list(self.pod_names):
                self._forget(pod_uid)
        self.revision = revision
        pods = {node.uid: objects.get(node.uid) for node in (revision.pods if revision else ())}
        for pod_uid in list(self.pod_names):
            if pods.get(pod_uid) is None:
                markers.append(f"──── pod {self.pod_names[pod_uid]} went away ────")
                self._forget(pod_uid)
        if markers:
            self.view.add_lines([LogLine(text) for text in markers])
        self.errors.pop("", None)
        if self._workload() is None:
            self.errors[""] = "The workload no longer exists."
        elif revision is None:
            self.errors[""] = "No current revision yet."
        for pod_uid, pod in pods.items():
            if pod is not None:
                self._follow(pod_uid, pod)
        self.update_status()

    def _follow(self, pod_uid: str, pod: Obj) -> None:
        name = str(_meta(pod).get("name", ""))
        self.pod_names[pod_uid] = name
        container = self.container
        if container is None or not has_log(pod, container, False):
            return  # not started yet: a later batch opens it
        stream = self.streams.get(pod_uid)
        if stream is None:
            self.streams[pod_uid] = self._open_stream(pod, container)
        elif pod_uid in self.ended and log_instance(pod, container) != self._instances.get(pod_uid):
            # The container runs again: its new run's lines follow a marker.
            self.view.add_lines([LogLine(f"──── {name} started again ────", short_name(name))])
            stream.stop()
            self.ended.discard(pod_uid)
            self.errors.pop(pod_uid, None)
            self.streams[pod_uid] = self._open_stream(pod, container)

    def _open_stream(self, pod: Obj, container: str) -> LogStream:
        metadata = _meta(pod)
        name = str(metadata.get("name", ""))
        request = LogRequest(
            namespace=str(metadata.get("namespace", "")),
            pod=name,
            container=container,
            tail_lines=INITIAL_TAIL_LINES,
        )
        stream = LogStream(
            self.ktui.connection.api_client,
            request,
            self._inbox.put,
            tag=short_name(name),
            read_timeout=self.read_timeout,
        )
        self._instances[str(metadata.get("uid", ""))] = log_instance(pod, container)
        self.run_worker(stream.run, thread=True, group="logs", exit_on_error=False)
        return stream

    def _forget(self, pod_uid: str) -> None:
        stream = self.streams.pop(pod_uid, None)
        if stream is not None:
            stream.stop()
        self.pod_names.pop(pod_uid, None)
        self.ended.discard(pod_uid)
        self.errors.pop(pod_uid, None)
        self._instances.pop(pod_uid, None)

    def _stop_all(self) -> None:
        for pod_uid in list(self.pod_names):
            self._forget(pod_uid)
        self._inbox.clear()

    def _restart(self) -> None:
        """Every stream from scratch (another container, a retry)."""
        self._stop_all()
        self.view.clear()
        self.revision = None
        self._sync()

    def _drain(self) -> None:
        chunks = self._inbox.take()
        if not self.is_attached:
            return
        owners = {id(stream): pod_uid for pod_uid, stream in self.streams.items()}
        lines: list[LogLine] = []
        for chunk in chunks:
            pod_uid = owners.get(id(chunk.stream))
            if pod_uid is None:
                continue  # a stream stopped since (its pod went away, another container)
            lines += chunk.lines
            if chunk.ended:
                self.ended.add(pod_uid)
                if chunk.error:
                    self.errors[pod_uid] = chunk.error
        self.view.add_lines(lines, ordered=True)
        self.update_status()

    # ------------------------------------------------------------------ status

    def update_status(self) -> None:
        view = self.view
        obj = self._workload() or {}
        kind = str(obj.get("kind", "")).lower() or "workload"
        status = Text(no_wrap=True, overflow="ellipsis")
        status.append("Logs ", style="bold")
        status.append(f"{kind}/{_meta(obj).get('name', '?')}", style="bold cyan")
        revision = self.revision
        if revision is not None:
            status.append(f"  revision {revision.revision} ", style="grey62")
            status.append(revision.name, style="bold")
        status.append("  container ", style="grey62")
        status.append(self.container or "-", style="bold")
        # Every pod followed, then how many of them have no stream yet ("3 pods (1 not
        # started)"): counting only the streams read "1 pods (1 not started)" for two pods.
        pods = len(self.pod_names)
        waiting = pods - len(self.streams)
        status.append(f"  {pods} pod{'' if pods == 1 else 's'}", style="grey62")
        if waiting:
            status.append(f" ({waiting} not started)", style="yellow")
        if any(uid not in self.ended for uid in self.streams):
            status.append("  ● following", style="green")
        errors = []
        for pod_uid, message in self.errors.items():
            name = self.pod_names.get(pod_uid)
            errors.append(f"[{short_name(name)}] {message}" if name else message)
        self.show_status(status, errors)
        view.border_title = safe_text(
            f"current revision's pods · {self.container or '-'} · [pod] per line"
        )

    # ------------------------------------------------------------------ live

    @on(ClusterChanged)
    def _cluster_changed(self, message: ClusterChanged) -> None:
        batch, changes = message.batch, message.changes
        touched = (
            any(self.uid in uids for uids in batch.upserts.values())
            or any(self.uid in uids for uids in batch.deletes.values())
            or self.uid in changes.pods
            or self.uid in changes.removed_pods
            or self.uid in changes.children
            or self.uid in changes.removed_children
        )
        if touched:
            self._sync()

    @on(RetryRequested)
    def _retry_requested(self, message: RetryRequested) -> None:
        if self.errors:
            self._restart()

    # ------------------------------------------------------------------ actions

    def action_next_container(self) -> None:
        choices = self.container_choices()
        if not choices:
            return
        index = choices.index(self.container) if self.container in choices else -1
        self.container = choices[(index + 1) % len(choices)]
        self._restart()

    def save_name_parts(self) -> list[str]:
        """`<ns>_<workload>_rev<N>_<container>` before the time."""
        meta = _meta(self._workload() or {})
        revision = self.revision
        number = "-" if revision is None or revision.revision is None else str(revision.revision)
        return [
            str(meta.get("namespace", "-")),
            str(meta.get("name", "-")),
            f"rev{number}",
            self.container or "-",
        ]
