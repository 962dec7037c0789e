"""The main screen: workloads -> their ReplicaSets / ControllerRevisions / Jobs -> their Pods."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input

from ktui.cluster.batcher import ChangeBatch
from ktui.cluster.kinds import (
    CHILD_KINDS,
    KINDS_BY_NAME,
    ROLLOUT_KINDS,
    WORKLOAD_KINDS,
    kind_named,
)
from ktui.cluster.namespaces import list_namespace_names
from ktui.cluster.state import CachePhase
from ktui.model.objects import name_of, namespace_of, uid_of
from ktui.model.workloads import TreeChanges, WorkloadTree, affected
from ktui.names import namespace_name_problem
from ktui.render.header import out_of_date_since, same_problems, stale_text
from ktui.render.panes import (
    CHILD_PANES,
    POD_COLUMNS,
    Column,
    Descending,
    Row,
    owner_text,
    pod_cells,
    pod_view_cells,
    pod_view_columns,
    workload_cells_for,
    workload_columns_for,
)
from ktui.render.safe import safe_text
from ktui.ui.commands import (
    ALL_WORKLOADS_WORDS,
    CONTEXT_WORDS,
    MESSAGES_WORDS,
    NAMESPACE_WORDS,
    POD_VIEW,
    PROBLEMS_WORDS,
    QUIT_WORDS,
    complete_command,
)
from ktui.ui.live_table import LiveTable, cell_sort_value
from ktui.ui.messages import ClusterChanged, ScopeChanged
from ktui.ui.screens.pod_actions import PodActions, pod_action_bindings
from ktui.ui.screens.rollout import ROLLOUT_BINDINGS, RolloutActions, read_only_binding
from ktui.ui.widgets.footer import KtuiFooter
from ktui.ui.widgets.header import ClusterHeader
from ktui.ui.widgets.input import KtuiInput
from ktui.view.children import child_revision, current_child_uid, newest

if TYPE_CHECKING:
    from ktui.ui.app import KtuiApp

Obj = dict[str, Any]

KIND_FILTERS: tuple[str | None, ...] = (None, *WORKLOAD_KINDS, POD_VIEW)
WORKLOAD_ACTIONS = frozenset(
    {
        "rollout_screen",
        "rollout_restart",
        "rollout_scale",
        "rollout_undo",
        "rollout_pause",
        "rollback_child",
    }
)
"""Keys that act on the selected workload: hidden in the Pods view (see `workload_key`)."""
"""What `[` / `]` cycle through: all workloads, each workload kind, the Pods view."""
PANE_IDS = ("workloads", "children", "pods")
CHILD_ROWS = 6
"""The ReplicaSets / revisions / Jobs pane shows at most this many rows before it scrolls."""
QUIT_CONFIRM_SECONDS = 3.0
"""`q` then `q` within this many seconds quits."""
POD_VIEW_CHUNK = 1000
"""Pods view rows built and placed per turn of the event loop when more wait: a pane filling
with 100,000 pods (or switched to with them cached) draws its first rows at once, and a key
waits for one chunk (tens of ms), not for every row."""
STATUS_COLUMNS = ("status", "health", "ready")
"""What `S` sorts by: the first of these columns the focused pane has (HEALTH on workloads,
STATUS on pods and Jobs, READY on ReplicaSets)."""


def workload_kind_named(word: str) -> tuple[bool, str | None]:
    """(whether `word` names a view of the first pane, its kind: None for all workloads,
    "Pod" for the Pods view)."""
    if word in ALL_WORKLOADS_WORDS:
        return True, None
    spec = kind_named(word)
    if spec is None or not (spec.workload or spec.kind == POD_VIEW):
        return False, None
    return True, spec.kind


def kind_label(kind: str | None) -> str:
    """The workloads pane's title word: "Workloads" for all kinds, else the kind's plural."""
    return "Workloads" if kind is None else KINDS_BY_NAME[kind].label


class MainScreen(RolloutActions, PodActions, Screen[None], inherit_bindings=False):
    DEFAULT_CSS = """
    MainScreen.pods-view #children, MainScreen.pods-view #pods { display: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        # tab / shift+tab are not in the footer (`?` lists them): at 80 columns they took the
        # room of the action keys and of `?` itself.
        Binding("tab", "focus_next_pane", "Next pane", show=False, id="main.next_pane"),
        Binding(
            "shift+tab",
            "focus_previous_pane",
            "Previous pane",
            show=False,
            id="main.previous_pane",
        ),
        # `/` and `:` are priority keys that focus their input at once (not after the key has
        # bubbled up), so the letters typed right after them go into the input, not to the
        # panes as hotkeys (`:st` sent in one write opened the scale dialog). Not while an
        # input has the focus (`/` in `-l app.kubernetes.io/name=web`).
        Binding("slash", "filter", "Filter", priority=True, id="main.filter"),
        Binding("escape", "back", "Back", show=False, id="main.back"),
        Binding("colon", "command", "Command", priority=True, id="main.command"),
        Binding("right_square_bracket", "next_kind", "Next kind", show=False, id="main.next_kind"),
        Binding(
            "left_square_bracket", "previous_kind", "Prev kind", show=False, id="main.prev_kind"
        ),
        Binding("0", "toggle_all_namespaces", "All ns", id="main.all_namespaces"),
        Binding("q", "quit", "Quit", id="main.quit"),
        Binding("N", "sort('name')", "Sort name", show=False, id="main.sort_name"),
        Binding("A", "sort('age')", "Sort age", show=False, id="main.sort_age"),
        Binding("S", "sort('status')", "Sort status", show=False, id="main.sort_status"),
        Binding(
            "less_than_sign", "sort_move(-1)", "Sort column left", show=False, id="main.sort_left"
        ),
        Binding(
            "greater_than_sign",
            "sort_move(1)",
            "Sort column right",
            show=False,
            id="main.sort_right",
        ),
        Binding("R", "sort_reverse", "Reverse sort", show=False, id="main.sort_reverse"),
        # The Pods view shows its own keys in the footer (the pod's owner and logs); the
        # workload keys are hidden there and, pressed, say where they work instead.
        Binding("o", "pods_view_key('owner')", "Owner", id="main.pods_view_owner"),
        Binding("l", "pods_view_key('logs')", "Logs", id="main.pods_view_logs"),
        Binding("o", "owner", "Owner / back", show=False, id="main.owner"),
        Binding("h", "rollout_screen", "History", id="main.rollout"),
        *ROLLOUT_BINDINGS,
        Binding("ctrl+l", "rollback_child", "Rollback to", show=False, id="main.rollback"),
        read_only_binding("ctrl+l", "undo", "readonly.rollback"),
        *(
            Binding(key, f"workload_key('{what}')", show=False, id=f"main.pods_view_{name}")
            for key, what, name in (
                ("h", "history", "history"),
                ("r", "restart", "restart"),
                ("s", "scale", "scale"),
                ("u", "undo", "undo"),
                ("P", "pause/resume", "pause"),
                ("ctrl+l", "rollback", "rollback"),
            )
        ),
        Binding("d", "inspect('describe')", "Describe", show=False, id="main.describe"),
        Binding("y", "inspect('yaml')", "YAML", show=False, id="main.yaml"),
        Binding("l", "inspect('logs')", "Logs", show=False, id="main.logs"),
        Binding("p", "inspect('previous_logs')", "Prev logs", show=False, id="main.previous_logs"),
        Binding("e", "inspect('events')", "Events", show=False, id="main.events"),
        *pod_action_bindings(show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.kind_filter: str | None = None
        self.selected_workload: str | None = None
        self.selected_child: str | None = None
        self._child_pane = CHILD_PANES["ReplicaSet"]
        """The middle pane's kind of rows (its columns and its order)."""
        self._pods_follow_child = False
        self._filter_target: LiveTable | None = None
        self._last_workload_kind: str | None = None
        """The workload kind shown before the Pods view (the owner jump goes back to it)."""
        self._owner_jump: str | None = None
        """The pod `o` jumped from to its owner: `o` or esc goes back to it in the Pods view."""
        self._view_filters: dict[bool, str] = {}
        """The first pane's filter per view (Pods view or not), kept while the other is shown."""
        self._known_namespaces: set[str] = set()
        """The namespaces the last `:ns` check listed (tab completes them too)."""
        self._quit_asked = -QUIT_CONFIRM_SECONDS
        """When `q` was last pressed (time.monotonic)."""
        self._row_memo: dict[str, tuple[Obj, tuple[Obj, ...], tuple[object, ...], Row]] = {}
        """Workload uid -> (its object, its children, view and phase counts, its row)."""
        self.batch_observer: Callable[[ClusterChanged, float], None] | None = None
        """Called after each batch is applied, with the seconds it took (the bench's hook)."""
        self._pod_backlog: dict[str, Obj | None] = {}
        """Pods view: the pods of applied batches not in the pane yet (None: deleted), oldest
        first; `_drain_pods` places them a chunk a turn."""
        self._drain_scheduled = False
        self._refreshing_lower = False
        """While `_refresh_lower` refills the panes below (the children cursor moves then)."""
        self.pods_view_observer: Callable[[int], None] | None = None
        """Called with the Pods view's row count each time pods were placed in it (the
        first-paint bench's hook)."""

    @property
    def ktui(self) -> KtuiApp:
        return self.app  # type: ignore[return-value]

    @property
    def _tree(self) -> WorkloadTree:
        return self.ktui.model

    def compose(self) -> ComposeResult:
        yield ClusterHeader(id="header")
        with Vertical(id="panes"):
            yield LiveTable(
                self._first_pane_columns(),
                id="workloads",
                empty_message="No workloads yet.",
            )
            yield LiveTable(
                CHILD_PANES["ReplicaSet"].columns,
                id="children",
                sort_key=self._child_order,
                empty_message="Select a workload.",
            )
            yield LiveTable(
                POD_COLUMNS, id="pods", sort_key=self._pod_order, empty_message="No pods."
            )
        yield KtuiInput(placeholder="filter…", id="filter")
        yield KtuiInput(
            placeholder=":deploy  :sts  :ds  :job  :cj  :all  :pods  :ns NAME  :ctx NAME  (tab)",
            id="command",
            completer=self._complete_command,
        )
        yield KtuiFooter()

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
            table.labels_of = self._labels_of
            table.tick()
        self.workloads.cursor_moved = self._workload_cursor_moved
        self.children_table.cursor_moved = self._child_cursor_moved
        self._titles()
        self.workloads.focus()
        self.set_interval(1.0, self._tick)
        self._reset()
        namespace = self.ktui.connection.namespace
        if namespace is not None:
            # `-n typo` (or a context's namespace that is gone) looked like an empty namespace.
            self._check_namespace(namespace)

    @property
    def pods_view(self) -> bool:
        """Whether the first pane is the Pods view (every pod in scope; the others hidden)."""
        return self.kind_filter == POD_VIEW

    def _first_pane_columns(self) -> list[Column]:
        all_namespaces = self.ktui.connection.namespace is None
        if self.pods_view:
            return pod_view_columns(all_namespaces)
        return workload_columns_for(self.kind_filter, all_namespaces)

    def _labels_of(self, uid: str) -> dict[str, str] | None:
        """The labels of a row's object (for `-l` filters)."""
        obj = self._tree.objects.get(uid)
        labels = (obj.get("metadata") or {}).get("labels") if obj is not None else None
        return labels if isinstance(labels, dict) else None

    def _tick(self) -> None:
        for table in self.query(LiveTable):
            table.tick()
        self.query_one(ClusterHeader).refresh_states()

    # ------------------------------------------------------------------ data

    def _reset(self) -> None:
        self._row_memo.clear()
        self._pod_backlog.clear()
        self._drain_scheduled = False
        self.workloads.clear()
        self.children_table.clear()
        self.pods.clear()
        self.selected_workload = None
        self.selected_child = None
        self.query_one(ClusterHeader).refresh_states()

    @on(ScopeChanged)
    def _scope_changed(self, message: ScopeChanged) -> None:
        self.workloads.set_columns(self._first_pane_columns())
        self._reset()
        self._titles()
        namespace = self.ktui.connection.namespace
        if message.new_cluster:
            # The other cluster's namespaces are not this one's; its context's namespace may
            # not exist here (`:ns` checks its own switch).
            self._known_namespaces = set()
            if namespace is not None:
                self._check_namespace(namespace)

    @on(ClusterChanged)
    def _cluster_changed(self, message: ClusterChanged) -> None:
        start = time.perf_counter()
        try:
            self._apply_changes(message.changes, message.batch)
        finally:
            # The main screen paces the cache: the next batch comes once this one is shown.
            message.ack()
            if self.batch_observer is not None:
                self.batch_observer(message, time.perf_counter() - start)

    def _apply_changes(self, changes: TreeChanges, batch: ChangeBatch | None = None) -> None:
        now = self.ktui.clock()
        if self.pods_view:
            with self.app.batch_update():
                self._apply_pods_view(batch, now)
        else:
            self._apply_workloads(changes, now)
        if changes.states:
            self.query_one(ClusterHeader).refresh_states()
            self._explain_empty()
        self._mark_out_of_date()
        self._titles()
        self._layout_panes()

    def _apply_pods_view(self, batch: ChangeBatch | None, now: datetime) -> None:
        """The Pods view takes only the pods this batch upserted or deleted."""
        if batch is None:
            self._reload_workloads()
            return
        backlog = self._pod_backlog
        for uid in batch.deletes.get("Pod", ()):
            backlog.pop(uid, None)  # a later state of a pod goes to the end of the queue
            backlog[uid] = None
        for uid, pod in batch.upserts.get("Pod", {}).items():
            backlog.pop(uid, None)
            backlog[uid] = pod
        self._drain_pods(now)

    def _drain_pods(self, now: datetime | None = None) -> None:
        """Place up to `POD_VIEW_CHUNK` pods of the backlog in the Pods view, and come back
        after the next refresh for the rest (the batch was acked already: the model has it)."""
        backlog = self._pod_backlog
        if not backlog or not self.pods_view:
            backlog.clear()
            return
        now = now or self.ktui.clock()
        all_namespaces = self.ktui.connection.namespace is None
        upserts: dict[str, Row] = {}
        deletes: list[str] = []
        for uid in list(itertools.islice(backlog, POD_VIEW_CHUNK)):
            pod = backlog.pop(uid)
            if pod is None:
                deletes.append(uid)
            else:
                upserts[uid] = pod_view_cells(pod, now, all_namespaces=all_namespaces)
        self.workloads.apply(upserts, deletes)
        if self.pods_view_observer is not None:
            self.pods_view_observer(self.workloads.total_count)
        if backlog and not self._drain_scheduled:  # one chunk a turn, however many batches
            self._drain_scheduled = True
            self.call_after_refresh(self._drain_more)

    def _drain_more(self) -> None:
        if not self._drain_scheduled:
            return  # the backlog was dropped meanwhile (a new scope, another view)
        self._drain_scheduled = False
        with self.app.batch_update():
            self._drain_pods()
            self._titles()

    def _apply_workloads(self, changes: TreeChanges, now: datetime) -> None:
        tree = self._tree
        with self.app.batch_update():
            upserts: dict[str, Row] = {}
            deletes = set(changes.removed_workloads)
            for uid in changes.removed_workloads:
                self._row_memo.pop(uid, None)
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

    def _shown(self, uid: str, obj: Obj) -> bool:
        kind = obj.get("kind")
        if self.kind_filter is None:
            return self._tree.is_top_level(uid)
        return kind == self.kind_filter

    def _workload_cells(self, uid: str, obj: Obj, now: datetime) -> Row:
        tree = self._tree
        counts = tree.phase_counts(uid)
        all_namespaces = self.ktui.connection.namespace is None
        kind = self.kind_filter
        # A row is a function of the workload object, its children, its pods' phase counts and
        # the view, except CronJob / Job rows (durations run with `now`) and workloads with a
        # pod that cannot start (HEALTH then reads the pods): the others are built again only
        # when one of those changed. Under pod churn every workload is touched every batch
        # while its row stays the same.
        memo = kind not in ("CronJob", "Job") and not tree.has_troubled_pods(uid)
        children = tuple(tree.children(uid))
        inputs = (kind, all_namespaces, tuple(counts.values()))
        if memo:
            known = self._row_memo.get(uid)
            if (
                known is not None
                and known[0] is obj
                and known[2] == inputs
                and len(known[1]) == len(children)
                and all(a is b for a, b in zip(known[1], children, strict=True))
            ):
                return known[3]
        row = workload_cells_for(
            kind,
            obj,
            counts,
            now,
            all_namespaces=all_namespaces,
            problem=tree.rollout_problem(uid, now),
        )
        if memo:
            self._row_memo[uid] = (obj, children, inputs, row)
        else:
            self._row_memo.pop(uid, None)
        return row

    def _reload_workloads(self) -> None:
        now = self.ktui.clock()
        if self.pods_view:
            # Every pod the model has, through the backlog: the pane's rows that are not a
            # pod any more go at once, the pods come a chunk a turn.
            pods = self._tree.objects.objects("Pod")
            table = self.workloads
            table.apply({}, [uid for uid in table.all_keys() if uid not in pods])
            self._pod_backlog = dict(pods)
            self._drain_pods(now)
            return
        self._pod_backlog.clear()
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
        if uid is None or uid not in tree.workloads:
            self._refresh_lower(now)
            return
        child_before = self.selected_child
        self._refresh_lower(now, pods=False)
        if self._pods_follow_child and self.selected_child != child_before:
            # The child under the cursor went (a ReplicaSet over revisionHistoryLimit, a Job
            # over a CronJob's history limit): the cursor is on another child now, whose
            # pods did not change in this batch, so the pods pane is listed again.
            self._refresh_lower(now)
            return
        parent = self.selected_child if self._pods_follow_child else None
        upserts: dict[str, Row] = {}
        deletes = set(changes.removed_pods.get(uid, ()))
        for pod_uid in changes.pods.get(uid, ()):
            pod = tree.objects.get(pod_uid)
            if pod is None or (parent is not None and not tree.under(pod_uid, parent)):
                deletes.add(pod_uid)
            else:
                upserts[pod_uid] = pod_cells(pod, now)
        self.pods.apply(upserts, deletes)

    def _refresh_lower(self, now: datetime | None = None, *, pods: bool = True) -> None:
        """Recompute the children and pods panes for the selected workload."""
        self._refreshing_lower = True
        try:
            self._fill_lower(now, pods=pods)
        finally:
            self._refreshing_lower = False

    def _fill_lower(self, now: datetime | None, *, pods: bool) -> None:
        tree = self._tree
        now = now or self.ktui.clock()
        uid = self.selected_workload
        obj = tree.workloads.get(uid) if uid is not None else None
        if uid is None or obj is None:
            self.children_table.replace_all({})
            self.children_table.empty_message = "Select a workload."
            self.pods.replace_all({})
            return
        kind = tree.workload_kind.get(uid, "")
        spec = KINDS_BY_NAME.get(kind)
        child_kind = spec.child_kind if spec is not None else None
        children = [c for c in tree.children(uid) if c.get("kind") == child_kind]
        if child_kind is None and kind in CHILD_PANES:
            # A Job has nothing between it and its pods: the middle pane shows the Job itself
            # (status, completions, duration), as a CronJob's shows its Jobs; enter goes on to
            # its pods below.
            child_kind, children = kind, [obj]
        self._set_child_columns(child_kind)
        rows = CHILD_PANES[child_kind].rows(obj, children, now) if child_kind else {}
        self.children_table.replace_all(rows)
        if not self._pods_follow_child:
            # Until the pane is used, its cursor stays on the current ReplicaSet / revision.
            self._cursor_on_current_child(obj, children)
        if not pods:
            return
        parent = self.selected_child if self._pods_follow_child else None
        shown = tree.pods(uid, parent)
        self.pods.replace_all({uid_of(p): pod_cells(p, now) for p in shown})

    def _child_order(self, key: str, row: Sequence[object]) -> Any:
        return self._child_pane.order(key, row)

    def _pod_order(self, key: str, row: Sequence[Any]) -> Any:
        """A Job's or CronJob's pods newest first (the first row is the latest run, as in the
        Jobs pane above); any other workload's by name."""
        uid = self.selected_workload
        if uid is not None and self._tree.workload_kind.get(uid) in RUN_KINDS:
            # Created in the same second: the later name first (a CronJob names its Jobs, and
            # so their pods, by the scheduled minute).
            return (cell_sort_value(row[POD_AGE_INDEX]), Descending(cell_sort_value(row[0])), key)
        return (cell_sort_value(row[0]), key)

    def _latest_run_pod(self, workload_uid: str) -> str | None:
        """The pod `l` opens on a Job or CronJob row: the newest pod of its latest Job (not the
        pods pane's cursor, which may still be on an older run)."""
        tree = self._tree
        if tree.workload_kind.get(workload_uid) not in RUN_KINDS:
            return None
        jobs = [c for c in tree.children(workload_uid) if c.get("kind") == "Job"]
        latest = newest(jobs)
        pods = tree.pods(workload_uid, uid_of(latest) if latest is not None else None)
        pod = newest(pods) or newest(tree.pods(workload_uid))
        return uid_of(pod) if pod is not None else None

    def _set_child_columns(self, child_kind: str | None) -> None:
        table = self.children_table
        self._child_pane = CHILD_PANES[child_kind or "ReplicaSet"]
        table.set_columns(self._child_pane.columns)
        table.empty_message = (
            "Nothing between this workload and its pods: they are below."
            if child_kind is None
            else f"No {child_kind}s."
        )

    # ------------------------------------------------------------------ selection

    # The panes below follow the cursor the moment it moves (`LiveTable.cursor_moved`), not
    # when its `Highlighted` message comes: `g h` typed in one go handled `h` before that
    # message and opened the history of the row the cursor had left.

    def _workload_cursor_moved(self, key: str | None) -> None:
        if not self.pods_view:
            self._follow_workload(key)

    def _follow_workload(self, key: str | None) -> None:
        """Show the children and pods of the workload `key` (the workloads cursor's row)."""
        if key == self.selected_workload:
            return
        had_rollouts = self._no_rollouts_kind() is None
        self.selected_workload = key
        if (self._no_rollouts_kind() is None) != had_rollouts:
            self.refresh_bindings()  # the footer's rollout keys come and go with the kind
        self.selected_child = None
        self._pods_follow_child = False
        self.children_table.cursor_key = None
        self.pods.cursor_key = None
        self._refresh_lower()
        self._titles()
        self._layout_panes()

    def _child_cursor_moved(self, key: str | None) -> None:
        self.selected_child = key
        # While `_refresh_lower` fills the children pane, it lists the pods of this child next.
        if self._pods_follow_child and not self._refreshing_lower:
            self._refresh_lower()
            self._titles()

    def _cursor_on_current_child(self, obj: Obj, children: list[Obj]) -> None:
        current = current_child_uid(obj, children)
        if current is not None and current != self.children_table.cursor_key:
            self.children_table.move_cursor_to_key(current)

    @on(LiveTable.Selected, "#workloads")
    def _workload_selected(self, message: LiveTable.Selected) -> None:
        if self.pods_view:
            self.ktui.open_screen("detail", message.key)
            return
        # Drilling down lands on the current ReplicaSet / revision, not the oldest.
        uid = self.selected_workload
        obj = self._tree.workloads.get(uid) if uid is not None else None
        if obj is not None:
            self._cursor_on_current_child(obj, self._tree.children(uid or ""))
        self.children_table.focus()

    @on(LiveTable.Selected, "#children")
    def _child_selected(self, message: LiveTable.Selected) -> None:
        self.pods.focus()

    @on(LiveTable.Selected, "#pods")
    def _pod_selected(self, message: LiveTable.Selected) -> None:
        self.action_inspect("detail")

    def action_inspect(self, what: str) -> None:
        """Open a screen about the row under the cursor of the focused pane: "detail" (enter on
        a pod), "describe", "yaml", "logs", "previous_logs" or "events". Logs always take the
        pods pane's pod; describe is kubectl's describe for a pod too (enter is the pod screen)."""
        focused = self.focused
        table = (
            focused if isinstance(focused, LiveTable) and focused.id in PANE_IDS else self.workloads
        )
        pod_table = table is self.pods or (table is self.workloads and self.pods_view)
        if what in ("logs", "previous_logs"):
            pod_uid = table.cursor_key if pod_table else self.pods.cursor_key
            workload_uid = self.selected_workload
            if table is self.workloads and not pod_table and workload_uid is not None:
                pod_uid = self._latest_run_pod(workload_uid) or pod_uid
            if pod_uid is None:
                self.notify("No pod selected: logs are per pod.", severity="warning")
                return
            self.ktui.open_screen("logs", pod_uid, previous=what == "previous_logs")
            return
        uid = table.cursor_key
        if uid is None:
            self.notify("Nothing selected.", severity="warning")
            return
        if what in ("events", "yaml", "describe"):
            self.ktui.open_screen(what, uid)
        elif pod_table:
            self.ktui.open_screen("detail", uid)
        else:
            self.ktui.open_screen("describe", uid)

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
        self._layout_panes()

    def select_workload(self, uid: str) -> bool:
        """Put the workloads cursor on `uid`, switching the kind filter (and clearing the text
        filter) when they hide it; the panes below follow at once. False if it is not shown."""
        table = self.workloads
        found = table.move_cursor_to_key(uid)
        if not found:
            table.filter_text = ""
            found = table.move_cursor_to_key(uid)
        obj = self._tree.workloads.get(uid)
        if not found and obj is not None:
            self.show_kind(str(obj.get("kind", "")) or None)
            found = table.move_cursor_to_key(uid)
        table.focus()
        if not found:
            self.notify("That object is not shown any more.", severity="warning")
            return False
        self._follow_workload(uid)
        self._titles()
        return True

    def select_pod(self, pod_uid: str) -> bool:
        """Select the pod's workload, then put the pods pane's cursor on the pod; a pod that
        belongs to no workload (a bare pod, a Node's, an uncached kind's) in the Pods view."""
        owner = self._tree.pod_owner.get(pod_uid)
        if owner is None or owner not in self._tree.workloads:
            return self._select_in_pods_view(pod_uid)
        if not self.select_workload(owner):
            self.notify("That pod belongs to no workload shown here.", severity="warning")
            return False
        self.pods.filter_text = ""
        if not self.pods.move_cursor_to_key(pod_uid):
            self.notify("That pod belongs to no workload shown here.", severity="warning")
            return False
        self.pods.focus()
        return True

    def _select_in_pods_view(self, pod_uid: str) -> bool:
        self.show_kind(POD_VIEW)
        table = self.workloads
        found = table.move_cursor_to_key(pod_uid)
        if not found and table.filter_text:
            table.filter_text = ""
            found = table.move_cursor_to_key(pod_uid)
        table.focus()
        self._titles()
        if not found:
            self.notify("That pod is not shown any more.", severity="warning")
        return found

    def action_owner(self) -> None:
        """`o`: in the Pods view, jump to the pod's workload in the workloads view; there, `o`
        (or esc) goes back to the pod."""
        if not self.pods_view:
            if self._owner_jump is not None:
                self._back_to_pod()
            else:
                self.notify(
                    "o jumps from a pod in the Pods view (:pods) to its workload, and back.",
                    severity="warning",
                )
            return
        tree = self._tree
        pod_uid = self.workloads.cursor_key
        pod = tree.objects.get(pod_uid) if pod_uid is not None else None
        if pod_uid is None or pod is None:
            self.notify("No pod selected.", severity="warning")
            return
        owner = tree.pod_owner.get(pod_uid)
        if owner is None or owner not in tree.workloads:
            written = owner_text(pod)
            self.notify(
                "A bare pod: nothing owns it."
                if written == "-"
                else f"Owned by {written}: not a workload ktui shows.",
                severity="warning",
            )
            return
        self.show_kind(self._last_workload_kind)
        if self.select_workload(owner):
            self._owner_jump = pod_uid
            self._titles()

    def _back_to_pod(self) -> None:
        pod_uid = self._owner_jump
        self._owner_jump = None
        if pod_uid is not None:
            self._select_in_pods_view(pod_uid)

    # ------------------------------------------------------------------ titles, states

    def _titles(self) -> None:
        tree = self._tree
        name = kind_label(self.kind_filter)
        scope = self.ktui.connection.namespace or "all namespaces"
        back = " · o: back to the pod" if self._owner_jump is not None else ""
        self.workloads.set_title(
            safe_text(
                f"{name} [{count_of(self.workloads)}] · {scope}{back}{self._loading()}"
                f"{self.workloads.filter_description}"
            )
        )
        selected = tree.workloads.get(self.selected_workload or "")
        if selected is None:
            self.children_table.set_title("ReplicaSets · Revisions · Jobs")
            self.pods.set_title("Pods")
            return
        label = f"{selected.get('kind', '')}/{name_of(selected)}"
        children = self.children_table
        self.children_table.set_title(
            safe_text(f"{label} [{count_of(children)}]{children.filter_description}")
        )
        child = tree.objects.get(self.selected_child) if self.selected_child else None
        of = name_of(child) if self._pods_follow_child and child is not None else label
        self.pods.set_title(
            safe_text(f"Pods of {of} [{count_of(self.pods)}]{self.pods.filter_description}")
        )

    def _loading(self) -> str:
        """ " · loading pods 1500/10000" while a first list is still arriving page by page (the
        pane fills in as it does), else ""."""
        kinds = ("Pod",) if self.pods_view else (*WORKLOAD_KINDS, "Pod")
        for kind in kinds:
            state = self._tree.objects.states.get(kind)
            if (
                state is not None
                and state.phase is CachePhase.SYNCING
                and state.message.startswith("listing ")
                and state.message[len("listing ") :][:1].isdigit()
            ):
                label = KINDS_BY_NAME[kind].label.lower()
                return f" · loading {label} {state.message.removeprefix('listing ')}"
        return ""

    # ------------------------------------------------------------------ pane heights

    def _layout_panes(self) -> None:
        """Share the height of the three panes by content and focus: each pane wants its rows
        (the ReplicaSets pane at most `CHILD_ROWS`), the focused pane is served first and never
        has zero rows; when the height leaves it fewer than three, the other panes fold to
        their border (the title still says what and how many). Space left over goes to the
        workloads and pods panes."""
        if self.pods_view:
            self.workloads.styles.height = "1fr"
            return
        panes = [self.workloads, self.children_table, self.pods]
        height = self.query_one("#panes").size.height
        if height <= 0:
            return
        focused = self._focused_table()
        chrome = 3  # the border lines and the header row
        wants = {table: max(2 if table.row_count == 0 else 1, table.row_count) for table in panes}
        wants[self.children_table] = min(wants[self.children_table], CHILD_ROWS)
        rows = dict.fromkeys(panes, 0)
        folded: set[LiveTable] = set()
        budget = height - chrome * len(panes)
        if budget < len(panes) + 2 and wants[focused] > max(1, budget - len(panes) + 1):
            # Too short for three useful panes: the focused one keeps its rows.
            folded = {t for t in panes if t is not focused}
            budget = height - chrome - 2 * len(folded)
        open_panes = [t for t in panes if t not in folded]
        # The focused pane first (a fair share), then one row each, then each pane's wants.
        share = max(1, budget // len(open_panes))
        for table, grant in (
            (focused, min(wants[focused], share)),
            *((t, 1) for t in open_panes),
            *((t, wants[t]) for t in (focused, *open_panes)),
        ):
            more = max(0, min(grant - rows[table], budget))
            rows[table] += more
            budget -= more
        if budget > 0:
            rows[self.workloads] += budget // 2
            rows[self.pods] += budget - budget // 2
        for table in panes:
            wanted = 2 if table in folded else chrome + rows[table]
            if table.styles.height is None or table.styles.height.value != wanted:
                table.styles.height = wanted

    def on_resize(self) -> None:
        self.call_after_refresh(self._layout_panes)

    def _mark_out_of_date(self) -> None:
        """Dim a pane whose rows may be out of date (its watch silent, down or denied) and say
        since when under it, until the watch is current again."""
        states = self._tree.objects.states
        for table, kinds in (
            (self.workloads, ("Pod",) if self.pods_view else WORKLOAD_KINDS),
            (self.children_table, CHILD_KINDS),
            (self.pods, ("Pod",)),
        ):
            since = out_of_date_since(states, kinds) if table.total_count else None
            table.set_class(since is not None, "stale")
            table.set_subtitle(stale_text(since) if since else "")

    def _explain_empty(self) -> None:
        """Say in the pane why it is empty: forbidden, still syncing, unreachable."""
        states = self._tree.objects.states
        first_kinds = ("Pod",) if self.pods_view else WORKLOAD_KINDS
        what = "pods" if self.pods_view else "workloads"
        problems = same_problems(states, first_kinds)
        syncing = any(s.phase is CachePhase.SYNCING for k, s in states.items() if k in first_kinds)
        if problems:
            self.workloads.empty_message = "  ".join(problems)[:300]
        elif syncing:
            self.workloads.empty_message = f"Loading {what}…"
        else:
            self.workloads.empty_message = f"No {what} in this scope."
        pod_state = states.get("Pod")
        if pod_state is not None and pod_state.phase in (
            CachePhase.FORBIDDEN,
            CachePhase.ERROR,
        ):
            self.pods.empty_message = f"Pods: {pod_state.message or pod_state.phase.value}"

    # ------------------------------------------------------------------ actions

    def action_focus_next_pane(self) -> None:
        self._cycle_focus(1)

    def action_focus_previous_pane(self) -> None:
        self._cycle_focus(-1)

    def _cycle_focus(self, step: int) -> None:
        panes = (
            [self.workloads] if self.pods_view else [self.workloads, self.children_table, self.pods]
        )
        focused = self.focused
        index = panes.index(focused) if isinstance(focused, LiveTable) and focused in panes else 0
        panes[(index + step) % len(panes)].focus()

    def _focused_table(self) -> LiveTable:
        focused = self.focused
        return focused if isinstance(focused, LiveTable) else self.workloads

    def action_filter(self) -> None:
        table = self._focused_table()
        filter_input = self.query_one("#filter", Input)
        filter_input.value = table.filter_text
        filter_input.add_class("visible")
        self.set_focus(filter_input)
        self._filter_target = table

    @on(Input.Changed, "#filter")
    def _filter_changed(self, message: Input.Changed) -> None:
        table = self._filter_target or self.workloads
        if message.value:
            # k9s: a new filter starts on its first match, not on whichever match is nearest
            # to where the cursor was (after `G`, the last one); the panes below follow it.
            # `/` on a pane showing its filter already (the input takes that text) moves nothing.
            table.filter_to_first_match(message.value)
        else:
            table.filter_text = ""
        self._titles()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, message: Input.Submitted) -> None:
        message.input.remove_class("visible")
        (self._filter_target or self.workloads).focus()

    def action_back(self) -> None:
        for input_id in ("#filter", "#command"):
            widget = self.query_one(input_id, Input)
            if widget.has_class("visible"):
                widget.remove_class("visible")
                if input_id == "#filter":
                    # esc while typing a filter drops it (k9s); enter keeps it.
                    target = self._filter_target or self.workloads
                    target.filter_text = ""
                    target.focus()
                    self._titles()
                else:
                    self.workloads.focus()
                return
        table = self._focused_table()
        if table.filter_text:
            table.filter_text = ""
            self._titles()
            return
        if table is self.workloads and self._owner_jump is not None and not self.pods_view:
            self._back_to_pod()
        elif table is self.pods:
            self.children_table.focus()
        elif table is self.children_table:
            self.workloads.focus()

    @on(Input.Blurred, "#filter, #command")
    def _input_blurred(self, message: Input.Blurred) -> None:
        """An input that loses the focus (a click elsewhere) closes: the bar never stays on
        screen while the keys go to the panes. A filter is kept, as with enter."""
        message.input.remove_class("visible")

    def _complete_command(self, text: str) -> list[str]:
        """Tab in the `:` bar: kind words, then namespaces (of the model, and the one shown)
        or the kubeconfig's contexts."""
        namespaces = set(self._known_namespaces)
        for kind in ("Pod", *WORKLOAD_KINDS):
            for obj in self._tree.objects.objects(kind).values():
                namespaces.add(namespace_of(obj))
        namespaces.discard("")
        if self.ktui.connection.namespace:
            namespaces.add(self.ktui.connection.namespace)
        try:
            contexts = self.ktui.connection.kubeconfig.contexts()
        except Exception:  # no kubeconfig (an in-cluster or test connection)
            contexts = []
        return complete_command(text, namespaces, contexts)

    def action_quit(self) -> None:
        """`q` on the main screen asks once: q again within a few seconds quits (`q` elsewhere
        goes back, so one q too many never exits); ctrl+c quits at once."""
        now = time.monotonic()
        if now - self._quit_asked < QUIT_CONFIRM_SECONDS:
            self.app.exit()
            return
        self._quit_asked = now
        self.notify("Press q again to quit (ctrl+c quits at once).", timeout=QUIT_CONFIRM_SECONDS)

    def action_command(self) -> None:
        command = self.query_one("#command", Input)
        command.value = ""
        command.add_class("visible")
        self.set_focus(command)

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
        is_kind, kind = workload_kind_named(head)
        if is_kind:
            self.show_kind(kind)
            self.workloads.focus()
            if args:
                self._switch_namespace(args[0])
        elif head in PROBLEMS_WORDS:
            self.ktui.open_screen("problems", "")
        elif head in MESSAGES_WORDS:
            self.ktui.open_screen("messages", "")
        elif head in NAMESPACE_WORDS:
            if not args:
                self.notify("Usage: :ns NAME (or :ns all)", severity="warning")
                return
            self._switch_namespace(args[0])
        elif head in CONTEXT_WORDS:
            if not args:
                names = ", ".join(self.ktui.connection.kubeconfig.contexts())
                self.notify(f"Contexts: {names}", timeout=8)
                return
            self.ktui.set_context(args[0])
        elif head in QUIT_WORDS:
            self.app.exit()
        else:
            self.notify(f"Unknown command: {text.strip()}", severity="error")

    def _switch_namespace(self, word: str) -> None:
        if word in ("all", "-A"):
            self.ktui.set_namespace(None)
            return
        problem = namespace_name_problem(word)
        if problem is not None:
            self.notify(problem, severity="error")
            return
        self.ktui.set_namespace(word)
        self._check_namespace(word)

    @work(thread=True, group="namespace-check", exclusive=True, exit_on_error=False)
    def _check_namespace(self, word: str) -> None:
        """Say in one line when the namespace switched to does not exist (the switch stands:
        its objects show up once it is created). Forbidden or unreachable: nothing is said."""
        app = self.ktui
        try:
            names = list_namespace_names(app.connection.api_client)
        except Exception:
            return
        app.call_from_thread(self._namespace_listed, word, names)

    def _namespace_listed(self, word: str, names: list[str]) -> None:
        self._known_namespaces = set(names)
        if word not in self._known_namespaces and self.ktui.connection.namespace == word:
            self.notify(
                f"Namespace {word!r} does not exist (yet): its objects appear once it does.",
                severity="warning",
            )

    def show_kind(self, kind: str | None) -> None:
        """Show one workload kind (None: all of them) or the Pods view (`POD_VIEW`)."""
        self._owner_jump = None
        was_pods_view = self.pods_view
        self.kind_filter = kind
        if not self.pods_view:
            self._last_workload_kind = kind
        if self.pods_view != was_pods_view:
            table = self.workloads
            self._view_filters[was_pods_view] = table.filter_text
            self.set_class(self.pods_view, "pods-view")
            table.set_columns(self._first_pane_columns())
            table.filter_text = self._view_filters.get(self.pods_view, "")
            table.cursor_key = None
            self.selected_workload = None
            self.selected_child = None
            self._pods_follow_child = False
            if self.pods_view and self.focused in (self.children_table, self.pods):
                table.focus()
            self._explain_empty()
        else:  # CronJobs and Jobs alone have kubectl's columns; the cursor stays on its row
            cursor = self.workloads.cursor_key
            self.workloads.set_columns(self._first_pane_columns())
            self.workloads.cursor_key = cursor
        self._reload_workloads()
        if not self.pods_view and self.selected_workload is None:
            self._follow_workload(self.workloads.cursor_key)
        self._mark_out_of_date()
        self._titles()
        # The footer's keys differ between the two views, and between kinds with and without
        # rollouts.
        self.refresh_bindings()

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
        if self.selected_workload is None:
            return None
        return self._tree.workloads.get(self.selected_workload)

    def _no_rollouts_kind(self) -> str | None:
        """The kind the workload keys would act on when it has no rollouts (CronJob, Job):
        the selected workload's kind, or the kind shown when nothing is selected. None when
        the keys apply (or may: all workloads shown, nothing selected)."""
        uid = self.selected_workload
        kind = self._tree.workload_kind.get(uid) if uid is not None else self.kind_filter
        return kind if kind is not None and kind not in ROLLOUT_KINDS else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("filter", "command") and isinstance(self.focused, Input):
            return False
        if action == "pods_view_key":
            return self.pods_view
        # In the Pods view, or on a CronJob or Job, the workload keys are hidden from the
        # footer and their hidden twins (`workload_key`) say why instead.
        no_workload_keys = self.pods_view or self._no_rollouts_kind() is not None
        if action == "workload_key":
            return no_workload_keys
        if (
            no_workload_keys
            and (
                action in WORKLOAD_ACTIONS
                # (the read-only twins of the workload keys too; ctrl+d / ctrl+k act on pods)
                or (
                    action == "read_only" and parameters[:1] not in (("delete pod",), ("kill pod",))
                )
            )
        ):
            return False
        # --readonly removes every mutating key from the footer and `?`; pressed, it says so.
        return self.rollout_action_state(action) and self.pod_action_state(action)

    def action_pods_view_key(self, what: str) -> None:
        if what == "owner":
            self.action_owner()
        else:
            self.action_inspect("logs")

    def action_workload_key(self, what: str) -> None:
        """A workload key (h, r, s, u, P, ctrl+l) pressed in the Pods view, where no workload
        is selected, or on a kind without rollouts: say where it works instead of doing
        nothing."""
        kind = None if self.pods_view else self._no_rollouts_kind()
        if kind is not None and what == "scale" and kind in NOT_SCALED:
            # Not "no rollouts": that is not why `s` does nothing here.
            self.notify(f"scale: {NOT_SCALED[kind]}", severity="warning")
            return
        if kind is not None:
            self.notify(
                f"{what}: a {kind} has no rollouts; only Deployments, StatefulSets and "
                "DaemonSets do.",
                severity="warning",
            )
            return
        self.notify(
            f"{what} acts on a workload: press o to go to this pod's owner, or ] for the "
            "workloads.",
            severity="warning",
        )

    def pod_action_target(self) -> Obj | None:
        """ctrl+d / ctrl+k act on the pod under the cursor of the pods pane or the Pods view."""
        focused = self.focused
        on_pods = focused is self.pods or (focused is self.workloads and self.pods_view)
        uid = focused.cursor_key if on_pods and isinstance(focused, LiveTable) else None
        pod = self._tree.objects.get(uid) if uid is not None else None
        if pod is None:
            self.notify(
                "Select a pod first: in the pods pane, or in the Pods view (:pods).",
                severity="warning",
            )
        return pod

    def action_rollback_child(self) -> None:
        """k9s's ctrl+l on a ReplicaSet (or ControllerRevision) row: undo to its revision, with
        the same plan, confirmation and diff as `u`."""
        child_uid = self.children_table.cursor_key
        child = self._tree.objects.get(child_uid) if child_uid is not None else None
        revision = child_revision(child) if child is not None else None
        if self.focused is not self.children_table or child is None or revision is None:
            self.notify(
                "Select a ReplicaSet or ControllerRevision in the middle pane first.",
                severity="warning",
            )
            return
        self.action_rollout_undo(revision)

    def action_rollout_screen(self) -> None:
        target = self.rollout_target()
        if target is None or target.get("kind") not in ROLLOUT_KINDS:
            self.notify("Select a Deployment, StatefulSet or DaemonSet first.", severity="warning")
            return
        self.ktui.open_screen("rollout", uid_of(target))

    def action_sort(self, column: str) -> None:
        """`N` `A` `S`: sort the focused pane by name, age or its status-like column; pressed
        again, the other way round."""
        table = self._focused_table()
        keys = [c.key for c in table.columns]
        if column == "status":
            column = next((k for k in STATUS_COLUMNS if k in keys), "")
        if column not in keys:
            self.notify(
                "This pane has no status column: < and > sort by another one.", severity="warning"
            )
            return
        current, reverse = table.sort_state
        table.sort_by(column, reverse=not reverse if current == column else False)

    def action_sort_move(self, step: int) -> None:
        """`<` `>`: sort the focused pane by the column left or right of the sorted one."""
        table = self._focused_table()
        keys = [c.key for c in table.columns]
        current, _ = table.sort_state
        index = keys.index(current) if current in keys else 0
        table.sort_by(keys[(index + step) % len(keys)])

    def action_sort_reverse(self) -> None:
        """`R`: the focused pane's sort the other way round."""
        table = self._focused_table()
        current, reverse = table.sort_state
        table.sort_by(current, reverse=not reverse)


RUN_KINDS = ("Job", "CronJob")
"""Workloads whose pods are runs: the newest one is the one to look at."""
POD_AGE_INDEX = [c.key for c in POD_COLUMNS].index("age")

NOT_SCALED = {
    "Job": "a Job is not scaled; its parallelism is set in its spec.",
    "CronJob": "a CronJob is not scaled; its Jobs' parallelism is set in its jobTemplate.",
}
"""Why `s` does nothing on the workload kinds without replicas that the main screen lists."""


def count_of(table: LiveTable) -> str:
    """ "12", or "3 of 12" when a filter hides some rows."""
    shown, total = table.row_count, table.total_count
    return f"{shown}" if shown == total else f"{shown} of {total}"
