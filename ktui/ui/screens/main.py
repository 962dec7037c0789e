"""The main screen: workloads -> their ReplicaSets / ControllerRevisions / Jobs -> their Pods."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input

from ktui.cluster.state import CachePhase
from ktui.render.cells import (
    HEALTH_STYLE,
    TimeCell,
    badges_text,
    dim,
    health_text,
    phase_bar_text,
    restarts_since,
    status_text,
)
from ktui.ui.inspector import WORKLOAD_KINDS, TreeChanges, WorkloadTree, affected
from ktui.ui.live_table import Column, LiveTable, Row
from ktui.ui.messages import ClusterChanged, ScopeChanged
from ktui.ui.screens.rollout import (
    MUTATING_ACTIONS,
    ROLLOUT_BINDINGS,
    RolloutActions,
    RolloutScreen,
)
from ktui.ui.widgets.header import ClusterHeader
from ktui.view.children import controller_revision_rows, job_rows, replicaset_rows
from ktui.view.pod import pod_row
from ktui.view.workload import workload_row

if TYPE_CHECKING:
    from ktui.ui.app import KtuiApp

Obj = dict[str, Any]

KIND_FILTERS: tuple[str | None, ...] = (None, *WORKLOAD_KINDS)
KIND_ALIASES = {
    "all": None,
    "workloads": None,
    "deploy": "Deployment",
    "deployment": "Deployment",
    "deployments": "Deployment",
    "dp": "Deployment",
    "sts": "StatefulSet",
    "statefulset": "StatefulSet",
    "statefulsets": "StatefulSet",
    "ds": "DaemonSet",
    "daemonset": "DaemonSet",
    "daemonsets": "DaemonSet",
    "job": "Job",
    "jobs": "Job",
    "cj": "CronJob",
    "cronjob": "CronJob",
    "cronjobs": "CronJob",
}
_PLURAL = {
    None: "Workloads",
    "Deployment": "Deployments",
    "StatefulSet": "StatefulSets",
    "DaemonSet": "DaemonSets",
    "Job": "Jobs",
    "CronJob": "CronJobs",
}


def workload_columns(all_namespaces: bool) -> list[Column]:
    columns = [Column("name", "NAME", min_width=12, max_width=48, flexible=True)]
    if all_namespaces:
        columns.append(Column("namespace", "NAMESPACE", max_width=24))
    columns += [
        Column("kind", "KIND", max_width=11),
        Column("ready", "READY", justify="right"),
        Column("uptodate", "UP-TO-DATE", justify="right"),
        Column("available", "AVAILABLE", justify="right"),
        Column("health", "HEALTH", min_width=13),
        Column("pods", "PODS", min_width=16),
        Column("images", "IMAGES", max_width=40),
        Column("age", "AGE", justify="right"),
    ]
    return columns


CHILD_COLUMNS = {
    "ReplicaSet": [
        Column("name", "REPLICASET", min_width=12, max_width=60, flexible=True),
        Column("revision", "REVISION", justify="right"),
        Column("desired", "DESIRED", justify="right"),
        Column("current", "CURRENT", justify="right"),
        Column("ready", "READY", justify="right"),
        Column("images", "IMAGES", max_width=50),
        Column("age", "AGE", justify="right"),
    ],
    "ControllerRevision": [
        Column("name", "CONTROLLERREVISION", min_width=12, max_width=60, flexible=True),
        Column("revision", "REVISION", justify="right"),
        Column("images", "IMAGES", max_width=60),
        Column("age", "AGE", justify="right"),
    ],
    "Job": [
        Column("name", "JOB", min_width=12, max_width=60, flexible=True),
        Column("status", "STATUS"),
        Column("completions", "COMPLETIONS", justify="right"),
        Column("duration", "DURATION", justify="right"),
        Column("age", "AGE", justify="right"),
    ],
}

POD_COLUMNS = [
    Column("name", "POD", min_width=12, max_width=60, flexible=True),
    Column("ready", "READY", justify="right"),
    Column("status", "STATUS", min_width=8, max_width=26),
    Column("containers", "CONTAINERS", min_width=10, max_width=24),
    Column("restarts", "RESTARTS", max_width=18),
    Column("age", "AGE", justify="right"),
    Column("node", "NODE", max_width=24),
    Column("ip", "IP", max_width=16),
]


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


class MainScreen(RolloutActions, Screen[None], inherit_bindings=False):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "focus_next_pane", "Next pane", id="main.next_pane"),
        Binding("shift+tab", "focus_previous_pane", "Previous pane", id="main.previous_pane"),
        Binding("slash", "filter", "Filter", id="main.filter"),
        Binding("escape", "back", "Back", show=False, id="main.back"),
        Binding("colon", "command", "Command", id="main.command"),
        Binding("right_square_bracket", "next_kind", "Next kind", show=False, id="main.next_kind"),
        Binding(
            "left_square_bracket", "previous_kind", "Prev kind", show=False, id="main.prev_kind"
        ),
        Binding("0", "toggle_all_namespaces", "All ns", id="main.all_namespaces"),
        Binding("N", "sort('name')", "Sort name", show=False, id="main.sort_name"),
        Binding("A", "sort('age')", "Sort age", show=False, id="main.sort_age"),
        Binding("S", "sort('status')", "Sort status", show=False, id="main.sort_status"),
        Binding("h", "rollout_screen", "History", id="main.rollout"),
        *ROLLOUT_BINDINGS,
        Binding("d", "inspect('describe')", "Describe", show=False, id="main.describe"),
        Binding("y", "inspect('yaml')", "YAML", show=False, id="main.yaml"),
        Binding("l", "inspect('logs')", "Logs", show=False, id="main.logs"),
        Binding("p", "inspect('previous_logs')", "Prev logs", show=False, id="main.previous_logs"),
        Binding("e", "inspect('events')", "Events", show=False, id="main.events"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.kind_filter: str | None = None
        self.selected_workload: str | None = None
        self.selected_child: str | None = None
        self._pods_follow_child = False
        self._tree: WorkloadTree | None = None
        self._generation = 0

    @property
    def ktui(self) -> KtuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield ClusterHeader(id="header")
        with Vertical(id="panes"):
            yield LiveTable(
                workload_columns(self.ktui.connection.namespace is None),
                id="workloads",
                empty_message="No workloads yet.",
            )
            yield LiveTable(
                CHILD_COLUMNS["ReplicaSet"], id="children", empty_message="Select a workload."
            )
            yield LiveTable(POD_COLUMNS, id="pods", empty_message="No pods.")
        yield Input(placeholder="filter…", id="filter")
        yield Input(
            placeholder=":deploy  :sts  :ds  :job  :cj  :all  :ns NAME  :ctx NAME", id="command"
        )
        yield Footer()

    @property
    def workloads(self) -> LiveTable:
        return self.query_one("#workloads", LiveTable)

    @property
    def children_table(self) -> LiveTable:
        return self.query_one("#children", LiveTable)

    @property
    def pods(self) -> LiveTable:
        return self.query_one("#pods", LiveTable)

    def on_mount(self) -> None:
        for table in self.query(LiveTable):
            table.clock = self.ktui.clock
            table.tick()
        self._titles()
        self.workloads.focus()
        self.set_interval(1.0, self._tick)
        self._reset()

    def _tick(self) -> None:
        for table in self.query(LiveTable):
            table.tick()
        self.query_one(ClusterHeader).refresh_states()

    # ------------------------------------------------------------------ data

    def _reset(self) -> None:
        cluster = self.ktui.cluster
        self._generation = self.ktui.generation
        self._tree = WorkloadTree(cluster) if cluster is not None else None
        self.workloads.clear()
        self.children_table.clear()
        self.pods.clear()
        self.selected_workload = None
        self.selected_child = None
        self.query_one(ClusterHeader).refresh_states()

    @on(ScopeChanged)
    def _scope_changed(self, message: ScopeChanged) -> None:
        all_namespaces = self.ktui.connection.namespace is None
        self.workloads.set_columns(workload_columns(all_namespaces))
        self._reset()
        self._titles()

    @on(ClusterChanged)
    def _cluster_changed(self, message: ClusterChanged) -> None:
        if message.generation != self.ktui.generation:
            return
        try:
            self._apply_batch(message)
        finally:
            # The main screen paces the cache: the next batch comes once this one is shown.
            cluster = self.ktui.cluster
            if cluster is not None:
                cluster.ack_batch()

    def _apply_batch(self, message: ClusterChanged) -> None:
        if self._tree is None or message.generation != self._generation:
            self._reset()
        tree = self._tree
        if tree is None:
            return
        changes = tree.apply(message.batch)
        now = self.ktui.clock()
        with self.app.batch_update():
            upserts: dict[str, Row] = {}
            deletes = set(changes.removed_workloads)
            for uid in changes.workloads:
                obj = tree.workloads.get(uid)
                if obj is None:
                    continue
                if self._shown(uid, obj):
                    upserts[uid] = self._workload_cells(uid, obj, now)
                else:
                    deletes.add(uid)
            self.workloads.apply(upserts, deletes)
            if affected(changes, self.selected_workload):
                self._update_lower(changes, now)
        if changes.states:
            self.query_one(ClusterHeader).refresh_states()
            self._explain_empty()
        self._titles()

    def _shown(self, uid: str, obj: Obj) -> bool:
        assert self._tree is not None
        kind = obj.get("kind") or self._tree.workload_kind.get(uid)
        if self.kind_filter is None:
            return self._tree.is_top_level(uid)
        return kind == self.kind_filter

    def _workload_cells(self, uid: str, obj: Obj, now: datetime) -> Row:
        assert self._tree is not None
        kind = self._tree.workload_kind.get(uid, str(obj.get("kind", "")))
        obj = obj if obj.get("kind") else {**obj, "kind": kind}
        row = workload_row(obj, now)
        cells: list[Any] = [row.name]
        if self.ktui.connection.namespace is None:
            cells.append(row.namespace)
        cells += [
            row.kind,
            row.ready,
            _count(row.up_to_date),
            _count(row.available),
            health_text(row.health),
            phase_bar_text(self._tree.phase_counts(uid)),
            dim(row.images),
            TimeCell(row.created),
        ]
        return tuple(cells)

    def _reload_workloads(self) -> None:
        if self._tree is None:
            return
        now = self.ktui.clock()
        rows = {
            uid: self._workload_cells(uid, obj, now)
            for uid, obj in self._tree.workloads.items()
            if self._shown(uid, obj)
        }
        self.workloads.replace_all(rows)

    def _update_lower(self, changes: TreeChanges, now: datetime) -> None:
        """Apply one batch to the panes below the selection: the (few) children are
        recomputed, the pods pane only gets the pods that changed."""
        tree = self._tree
        uid = self.selected_workload
        if tree is None or uid is None or uid not in tree.workloads:
            self._refresh_lower(now)
            return
        self._refresh_lower(now, pods=False)
        parent = self.selected_child if self._pods_follow_child else None
        upserts: dict[str, Row] = {}
        deletes = set(changes.removed_pods.get(uid, ()))
        for pod_uid in changes.pods.get(uid, ()):
            pod = tree.source.get(pod_uid)
            if pod is None or (parent is not None and not tree.under(pod_uid, parent)):
                deletes.add(pod_uid)
            else:
                upserts[pod_uid] = self._pod_cells(pod, now)
        self.pods.apply(upserts, deletes)

    def _refresh_lower(self, now: datetime | None = None, *, pods: bool = True) -> None:
        """Recompute the children and pods panes for the selected workload."""
        tree = self._tree
        now = now or self.ktui.clock()
        uid = self.selected_workload
        obj = tree.workloads.get(uid) if (tree is not None and uid is not None) else None
        if tree is None or uid is None or obj is None:
            self.children_table.replace_all({})
            self.children_table.empty_message = "Select a workload."
            self.pods.replace_all({})
            return
        kind = tree.workload_kind.get(uid, "")
        child_kind = {
            "Deployment": "ReplicaSet",
            "StatefulSet": "ControllerRevision",
            "DaemonSet": "ControllerRevision",
            "CronJob": "Job",
        }.get(kind)
        children = [c for c in tree.children(uid) if _kind_of(c, tree, child_kind) == child_kind]
        self._set_child_columns(child_kind)
        self.children_table.replace_all(self._child_rows(obj, child_kind, children, now))
        if not pods:
            return
        parent = self.selected_child if self._pods_follow_child else None
        pods = tree.pods(uid, parent)
        self.pods.replace_all({_uid(p): self._pod_cells(p, now) for p in pods})

    def _set_child_columns(self, child_kind: str | None) -> None:
        table = self.children_table
        table.set_columns(CHILD_COLUMNS.get(child_kind or "", CHILD_COLUMNS["ReplicaSet"]))
        table.empty_message = (
            "A Job has no ReplicaSets: its pods are below."
            if child_kind is None
            else f"No {child_kind}s."
        )

    def _child_rows(
        self, owner: Obj, child_kind: str | None, children: list[Obj], now: datetime
    ) -> dict[str, Row]:
        rows: dict[str, Row] = {}
        if child_kind == "ReplicaSet":
            for rs in replicaset_rows(owner, children, now):
                mark = Text("● ", style="green") if rs.is_current else Text("  ")
                rows[rs.uid] = (
                    mark + Text(rs.name),
                    _count(rs.revision),
                    str(rs.desired),
                    str(rs.current),
                    str(rs.ready),
                    dim(rs.images),
                    TimeCell(rs.created),
                )
        elif child_kind == "ControllerRevision":
            for cr in controller_revision_rows(owner, children, now):
                mark = Text("● ", style="green") if cr.is_current else Text("  ")
                rows[cr.uid] = (
                    mark + Text(cr.name),
                    _count(cr.revision),
                    dim(cr.images),
                    TimeCell(cr.created),
                )
        elif child_kind == "Job":
            for job in job_rows(children, now):
                rows[job.uid] = (
                    job.name,
                    Text(job.status, style=HEALTH_STYLE[job.health]),
                    job.completions,
                    job.duration,
                    TimeCell(job.created),
                )
        return rows

    def _pod_cells(self, pod: Obj, now: datetime) -> Row:
        row = pod_row(pod, now)
        return (
            row.name,
            row.ready,
            status_text(row.status, row.severity),
            badges_text(row.badges),
            TimeCell(row.last_restart, restarts_since(row.restarts)),
            TimeCell(row.created),
            dim(row.node) if row.node == "<none>" else row.node,
            row.ip,
        )

    # ------------------------------------------------------------------ selection

    @on(LiveTable.Highlighted, "#workloads")
    def _workload_highlighted(self, message: LiveTable.Highlighted) -> None:
        if message.key == self.selected_workload:
            return
        self.selected_workload = message.key
        self.selected_child = None
        self._pods_follow_child = False
        self.children_table.cursor_key = None
        self.pods.cursor_key = None
        self._refresh_lower()
        self._titles()

    @on(LiveTable.Highlighted, "#children")
    def _child_highlighted(self, message: LiveTable.Highlighted) -> None:
        self.selected_child = message.key
        if self._pods_follow_child:
            self._refresh_lower()
            self._titles()

    @on(LiveTable.Selected, "#workloads")
    def _workload_selected(self, message: LiveTable.Selected) -> None:
        self.children_table.focus()

    @on(LiveTable.Selected, "#children")
    def _child_selected(self, message: LiveTable.Selected) -> None:
        self.pods.focus()

    @on(LiveTable.Selected, "#pods")
    def _pod_selected(self, message: LiveTable.Selected) -> None:
        self.action_inspect("detail")

    def action_inspect(self, what: str) -> None:
        """Open a detail screen (pod, describe, YAML, logs, events) for the selection."""
        from ktui.ui.screens.inspect import inspect_selection

        inspect_selection(self, what)

    def on_descendant_focus(self) -> None:
        focused = self.focused
        follow = focused is self.children_table or (
            focused is self.pods and self._pods_follow_child
        )
        if focused is self.workloads:
            follow = False
        if follow != self._pods_follow_child:
            self._pods_follow_child = follow
            self._refresh_lower()
            self._titles()

    # ------------------------------------------------------------------ titles, states

    def _titles(self) -> None:
        tree = self._tree
        shown = self.workloads.row_count
        total = self.workloads.total_count
        name = _PLURAL[self.kind_filter]
        scope = self.ktui.connection.namespace or "all namespaces"
        suffix = f" /{self.workloads.filter_text}" if self.workloads.filter_text else ""
        count = f"{shown}" if shown == total else f"{shown} of {total}"
        self.workloads.border_title = f"{name} [{count}] · {scope}{suffix}"
        selected = tree.workloads.get(self.selected_workload or "") if tree else None
        if selected is None:
            self.children_table.border_title = "ReplicaSets · Revisions · Jobs"
            self.pods.border_title = "Pods"
            return
        kind = tree.workload_kind.get(self.selected_workload or "", "") if tree else ""
        label = f"{kind}/{_name(selected)}"
        self.children_table.border_title = f"{label} [{self.children_table.row_count}]"
        child = tree.source.get(self.selected_child) if tree and self.selected_child else None
        if self._pods_follow_child and child is not None:
            self.pods.border_title = f"Pods of {_name(child)} [{self.pods.row_count}]"
        else:
            self.pods.border_title = f"Pods of {label} [{self.pods.row_count}]"

    def _explain_empty(self) -> None:
        """Say in the pane why it is empty: forbidden, still syncing, unreachable."""
        cluster = self.ktui.cluster
        if cluster is None:
            return
        states = cluster.states()
        problems = []
        for kind in WORKLOAD_KINDS:
            state = states.get(kind)
            if state is None:
                continue
            if state.phase in (CachePhase.FORBIDDEN, CachePhase.ERROR, CachePhase.RECONNECTING):
                problems.append(f"{kind}: {state.message or state.phase.value}")
        syncing = any(
            s.phase is CachePhase.SYNCING for k, s in states.items() if k in WORKLOAD_KINDS
        )
        if problems:
            self.workloads.empty_message = "  ".join(problems)[:300]
        elif syncing:
            self.workloads.empty_message = "Loading workloads…"
        else:
            self.workloads.empty_message = "No workloads in this scope."
        pod_state = states.get("Pod")
        if pod_state is not None and pod_state.phase in (
            CachePhase.FORBIDDEN,
            CachePhase.ERROR,
        ):
            self.pods.empty_message = f"Pods: {pod_state.message or pod_state.phase.value}"
        self.workloads.refresh()
        self.pods.refresh()

    # ------------------------------------------------------------------ actions

    def action_focus_next_pane(self) -> None:
        self._cycle_focus(1)

    def action_focus_previous_pane(self) -> None:
        self._cycle_focus(-1)

    def _cycle_focus(self, step: int) -> None:
        panes = [self.workloads, self.children_table, self.pods]
        focused = self.focused
        index = panes.index(focused) if focused in panes else 0  # type: ignore[arg-type]
        panes[(index + step) % len(panes)].focus()

    def _focused_table(self) -> LiveTable:
        focused = self.focused
        return focused if isinstance(focused, LiveTable) else self.workloads

    def action_filter(self) -> None:
        table = self._focused_table()
        filter_input = self.query_one("#filter", Input)
        filter_input.value = table.filter_text
        filter_input.add_class("visible")
        filter_input.focus()
        self._filter_target = table

    @on(Input.Changed, "#filter")
    def _filter_changed(self, message: Input.Changed) -> None:
        table = getattr(self, "_filter_target", self.workloads)
        table.filter_text = message.value
        self._titles()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, message: Input.Submitted) -> None:
        message.input.remove_class("visible")
        getattr(self, "_filter_target", self.workloads).focus()

    def action_back(self) -> None:
        for input_id in ("#filter", "#command"):
            widget = self.query_one(input_id, Input)
            if widget.has_class("visible"):
                widget.remove_class("visible")
                if input_id == "#filter":
                    getattr(self, "_filter_target", self.workloads).focus()
                else:
                    self.workloads.focus()
                return
        table = self._focused_table()
        if table.filter_text:
            table.filter_text = ""
            self._titles()
            return
        if table is self.pods:
            self.children_table.focus()
        elif table is self.children_table:
            self.workloads.focus()

    def action_command(self) -> None:
        command = self.query_one("#command", Input)
        command.value = ""
        command.add_class("visible")
        command.focus()

    @on(Input.Submitted, "#command")
    def _command_submitted(self, message: Input.Submitted) -> None:
        message.input.remove_class("visible")
        self.workloads.focus()
        self.run_command(message.value)

    def run_command(self, text: str) -> None:
        """k9s-style commands: `:deploy`, `:ns kube-system`, `:ns all`, `:ctx prod`."""
        words = text.strip().lstrip(":").split()
        if not words:
            return
        head, args = words[0].lower(), words[1:]
        if head in KIND_ALIASES:
            self.show_kind(KIND_ALIASES[head])
            if args:
                self.ktui.set_namespace(None if args[0] == "all" else args[0])
        elif head in ("ns", "namespace", "namespaces"):
            if not args:
                self.notify("Usage: :ns NAME (or :ns all)", severity="warning")
                return
            self.ktui.set_namespace(None if args[0] in ("all", "-A") else args[0])
        elif head in ("ctx", "context", "contexts"):
            if not args:
                names = ", ".join(self.ktui.connection.kubeconfig.contexts())
                self.notify(f"Contexts: {names}", timeout=8)
                return
            self.ktui.set_context(args[0])
        elif head in ("q", "quit"):
            self.app.exit()
        else:
            self.notify(f"Unknown command: {text.strip()}", severity="error")

    def show_kind(self, kind: str | None) -> None:
        self.kind_filter = kind
        self._reload_workloads()
        self._titles()

    def action_next_kind(self) -> None:
        index = KIND_FILTERS.index(self.kind_filter)
        self.show_kind(KIND_FILTERS[(index + 1) % len(KIND_FILTERS)])

    def action_previous_kind(self) -> None:
        index = KIND_FILTERS.index(self.kind_filter)
        self.show_kind(KIND_FILTERS[(index - 1) % len(KIND_FILTERS)])

    def action_toggle_all_namespaces(self) -> None:
        connection = self.ktui.connection
        if connection.namespace is None:
            self.ktui.set_namespace(connection.default_namespace)
        else:
            self.ktui.set_namespace(None)

    # ------------------------------------------------------------------ rollouts

    def rollout_target(self) -> Obj | None:
        if self._tree is None or self.selected_workload is None:
            return None
        obj = self._tree.workloads.get(self.selected_workload)
        if obj is None:
            return None
        kind = self._tree.workload_kind.get(self.selected_workload, "")
        return obj if obj.get("kind") else {**obj, "kind": kind}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # --readonly removes every mutating key: hidden from the footer and `?`, inert if pressed.
        return not (action in MUTATING_ACTIONS and self.ktui.readonly)

    def action_rollout_screen(self) -> None:
        target = self.rollout_target()
        if target is None or target.get("kind") not in ("Deployment", "StatefulSet", "DaemonSet"):
            self.notify("Select a Deployment, StatefulSet or DaemonSet first.", severity="warning")
            return
        self.app.push_screen(RolloutScreen(str(target["metadata"]["uid"])))

    def action_sort(self, column: str) -> None:
        table = self._focused_table()
        keys = [c.key for c in table.columns]
        if column not in keys:
            return
        current, reverse = table.sort_state
        table.sort_by(column, reverse=not reverse if current == column else False)


def _uid(obj: Obj) -> str:
    return str(obj.get("metadata", {}).get("uid", ""))


def _name(obj: Obj) -> str:
    return str(obj.get("metadata", {}).get("name", ""))


def _kind_of(obj: Obj, tree: WorkloadTree, default: str | None) -> str | None:
    kind = obj.get("kind")
    if kind:
        return str(kind)
    return tree.child_kind.get(_uid(obj), default)
